// Placeholder so the folder builds before the archive transport lands.
#pragma once
