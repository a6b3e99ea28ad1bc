// libarchive, as Bulla's archive reader sees it.
#ifndef BULLA_CARCHIVE_SHIM_H
#define BULLA_CARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>

#endif
