// JPEG 2000 decoding with OpenJPEG, since Debian's DCMTK has no JPEG 2000 codec.
#pragma once

#include "BridgeInternal.hpp"

#include <string>

namespace dcb {
/// "OpenJPEG <version>".
std::string openJPEGName();
/// Decodes the single frame of an encapsulated JPEG 2000 Pixel Data into stored values (interleaved).
/// The dataset's Bits Stored and Pixel Representation are authoritative over the codestream's precision and
/// signedness (as GDCM and pydicom treat them): values are taken modulo 2^bitsStored and sign-extended when
/// the dataset says signed.
int decodeJPEG2000(DcmDataset *d, unsigned rows, unsigned columns, unsigned samples, unsigned bitsStored,
                   bool isSigned, int32_t *out, char *err, size_t errlen);
}  // namespace dcb
