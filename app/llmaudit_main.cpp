#include "cli.h"

int main(int argc, char **argv)
{
    return llmaudit::runCli(argc, argv);
}
