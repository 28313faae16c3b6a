// Placeholder so the folder builds before the config loader lands.
