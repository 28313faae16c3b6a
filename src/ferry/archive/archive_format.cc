#include "ferry/archive/archive_format.h"
