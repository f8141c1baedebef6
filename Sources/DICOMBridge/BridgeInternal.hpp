// Shared internals of the DCMTK side of the bridge: the dataset handle and error reporting.
#pragma once

#include "DICOMBridge.h"

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"

#include <new>
#include <string>
#include <vector>

struct dcb_dataset {
    DcmFileFormat file;
};

namespace dcb {

/// Registers DCMTK's decoders exactly once and applies the log level (silent by default).
void ensureInitialised();

/// Writes `message` into the caller's error buffer (truncated, always NUL-terminated) and returns `status`.
int fail(char *err, size_t errlen, int status, const std::string &message);

/// A C string from the caller's structs, "" for NULL.
inline const char *orEmpty(const char *s) { return s ? s : ""; }

/// A new dataset handle filled by `write(DcmItem &)` (an SR document, a Parametric Map, a presentation
/// state); on failure nothing is returned and the error names `what`.
template <typename Write>
int writeNewDataset(Write write, const char *what, dcb_dataset **out, char *err, size_t errlen) {
    auto *ds = new (std::nothrow) dcb_dataset();
    if (!ds) return fail(err, errlen, DCB_ERR_IO, "out of memory");
    OFCondition cond = write(*ds->file.getDataset());
    if (cond.bad()) {
        delete ds;
        return fail(err, errlen, DCB_ERR_INVALID, std::string(what) + ": writing: " + cond.text());
    }
    *out = ds;
    return DCB_OK;
}

/// Copies `value` into `buf`; DCB_ERR_INVALID if it does not fit.
int copyOut(const std::string &value, char *buf, size_t buflen);

/// What a bounded, iterative walk of a DICOM byte stream found (safe on any input).
struct StructureCheck {
    long depth = 0;                 ///< how deep sequences nest (counting stops past the limit)
    bool overrun = false;           ///< a value (pixel data and its fragments included) declares more bytes than there are
    bool inflatesTooLarge = false;  ///< a deflated dataset inflates beyond maxInflatedBytes
    bool implicitUnderExplicitSyntax = false;  ///< the meta header says explicit VR, the first element has no VR
};
StructureCheck checkStructure(const uint8_t *data, size_t size, long limit);

/// A deflated dataset may inflate to this much: the largest image accepted (100 M samples of 16 bits) and
/// 56 MiB of other attributes.
constexpr size_t maxInflatedBytes = size_t(256) << 20;

/// Sequences may nest this deep; real objects nest a handful of levels, DCMTK's parser recurses per level.
constexpr long maxSequenceDepth = 64;

/// The compressed bytes of frame 1 (every fragment after the Basic Offset Table, concatenated); `what` names the
/// encoding in the error when the Pixel Data is not encapsulated.
int encapsulatedFrame(DcmDataset *d, const char *what, std::vector<uint8_t> &bytes, char *err, size_t errlen);

/// Refuses an RLE Lossless frame whose header or segments do not decode to exactly `rows` × `columns` bytes per
/// segment (truncated, corrupted), naming the segment; `segmentsNeeded` is Samples per Pixel × Bits Allocated / 8.
int checkRLEFrame(const std::vector<uint8_t> &frame, unsigned rows, unsigned columns, unsigned segmentsNeeded,
                  char *err, size_t errlen);

/// Collects what DCMTK logs on this thread while alive: its codecs report damaged data only as log warnings
/// ("Corrupt JPEG data: …") and still return an image.
class DecoderMessages {
public:
    DecoderMessages();
    ~DecoderMessages();
    DecoderMessages(const DecoderMessages &) = delete;
    DecoderMessages &operator=(const DecoderMessages &) = delete;
    const std::vector<std::string> &messages() const { return collected; }

private:
    std::vector<std::string> collected;
    std::vector<std::string> *outer;
};

/// Whether DCMTK's messages may reach stderr.
bool verbose();

/// A text value as UTF-8: values of VRs that follow Specific Character Set are converted from the dataset's
/// character set (DCMTK's DcmSpecificCharacterSet; Japanese ISO 2022 through glibc's ISO-2022-JP-2); others,
/// and ASCII, are returned as they are.
std::string textAsUTF8(DcmItem *dataset, DcmElement *elem, const std::string &raw);

/// Before UTF-8 text is put into `elem`: a dataset without Specific Character Set is declared ISO_IR 192, one
/// in another character set is re-encoded as UTF-8. ASCII needs neither.
int prepareForText(DcmItem *dataset, DcmElement *elem, const char *value, std::string &problem);

}  // namespace dcb
