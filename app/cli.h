#pragma once

// The `llmaudit` command line: every headless job, on the same library functions as the GUI.

namespace llmaudit {

// Runs one command; returns the process exit code (0 done, 1 failed, 2 usage error).
int runCli(int argc, char **argv);

} // namespace llmaudit
