// Shared internals of the DCMTK side of the bridge: the dataset handle and error reporting.
#pragma once

#include "DICOMBridge.h"

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"

#include <string>

struct dcb_dataset {
    DcmFileFormat file;
};

namespace dcb {

/// Registers DCMTK's decoders exactly once and applies the log level (silent by default).
void ensureInitialised();

/// Writes `message` into the caller's error buffer (truncated, always NUL-terminated) and returns `status`.
int fail(char *err, size_t errlen, int status, const std::string &message);

/// Copies `value` into `buf`; DCB_ERR_INVALID if it does not fit.
int copyOut(const std::string &value, char *buf, size_t buflen);

/// How deep the sequences of a DICOM byte stream nest (counting stops past `limit`); -1 when the stream
/// cannot be walked here (deflated). Iterative: safe on any input. `overrun`, when given, is set when a
/// value (pixel data and its fragments included) declares more bytes than the stream holds.
long sequenceDepth(const uint8_t *data, size_t size, long limit, bool *overrun = nullptr);

/// Sequences may nest this deep; real objects nest a handful of levels, DCMTK's parser recurses per level.
constexpr long maxSequenceDepth = 64;

/// Whether DCMTK's messages may reach stderr.
bool verbose();

}  // namespace dcb
