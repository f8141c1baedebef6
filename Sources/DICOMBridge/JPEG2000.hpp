// JPEG 2000 decoding with OpenJPEG, since Debian's DCMTK has no JPEG 2000 codec.
#pragma once

#include "BridgeInternal.hpp"

#include <string>

namespace dcb {
/// "OpenJPEG <version>".
std::string openJPEGName();
/// Decodes the single frame of an encapsulated JPEG 2000 Pixel Data into stored values (interleaved).
int decodeJPEG2000(DcmDataset *d, unsigned rows, unsigned columns, unsigned samples, int32_t *out, char *err,
                   size_t errlen);
}  // namespace dcb
