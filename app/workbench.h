#pragma once

// The GUI composition root: application setup, the default store, the main window.

namespace llmaudit {

int runWorkbench(int argc, char **argv);

} // namespace llmaudit
