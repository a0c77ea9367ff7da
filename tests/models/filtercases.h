#pragma once

// The filter cases checked against the Python oracle (tests/models/filter_oracle.py).

#include <vector>

struct FilterCase
{
    const char *filter; // in the filter language
    const char *python; // the same selection as a Python expression over the document `d`
};

const std::vector<FilterCase> &filterCases();
