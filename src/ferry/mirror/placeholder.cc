// Placeholder so the folder builds before the planner lands.
