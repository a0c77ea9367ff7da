#include "workbench.h"

int main(int argc, char **argv)
{
    return llmaudit::runWorkbench(argc, argv);
}
