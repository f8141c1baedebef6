// The compressed bytes of frame 1 of an encapsulated Pixel Data.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"

namespace dcb {

int encapsulatedFrame(DcmDataset *d, const char *what, std::vector<uint8_t> &bytes, char *err, size_t errlen) {
    bytes.clear();
    DcmElement *elem = nullptr;
    if (d->findAndGetElement(DCM_PixelData, elem).bad() || !elem)
        return fail(err, errlen, DCB_ERR_NO_PIXELS, "no Pixel Data");
    auto *pixelData = static_cast<DcmPixelData *>(elem);
    DcmPixelSequence *sequence = nullptr;
    if (pixelData->getEncapsulatedRepresentation(d->getOriginalXfer(), nullptr, sequence).bad() || !sequence)
        return fail(err, errlen, DCB_ERR_DECODE, std::string(what) + " Pixel Data is not encapsulated");
    // Item 0 is the Basic Offset Table; a single frame is the concatenation of the other fragments.
    for (unsigned long i = 1; i < sequence->card(); ++i) {
        DcmPixelItem *item = nullptr;
        if (sequence->getItem(item, i).bad() || !item) continue;
        Uint8 *data = nullptr;
        if (item->getUint8Array(data).bad()) continue;
        if (data) bytes.insert(bytes.end(), data, data + item->getLength());
    }
    return DCB_OK;
}

}  // namespace dcb
