// libFuzzer target: the tag writer. The input is split into a tag path and a value; both go to
// dcb_put_string on a parsed dataset (or an empty one), then the dataset is written out.
#include "DICOMBridge.h"
#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *split = static_cast<const uint8_t *>(std::memchr(data, '\n', size));
    if (!split) return 0;
    std::string path(reinterpret_cast<const char *>(data), split - data);
    const uint8_t *rest = split + 1;
    size_t restSize = size - (rest - data);
    const uint8_t *split2 = static_cast<const uint8_t *>(std::memchr(rest, '\n', restSize));
    std::string value(reinterpret_cast<const char *>(rest), split2 ? split2 - rest : restSize);
    char err[512];
    dcb_dataset *ds = nullptr;
    if (split2) dcb_dataset_load_memory(split2 + 1, restSize - (split2 + 1 - rest), &ds, err, sizeof err);
    if (!ds) ds = dcb_dataset_new();
    if (path.find('\0') == std::string::npos && value.find('\0') == std::string::npos) {
        dcb_put_string(ds, path.c_str(), value.c_str(), err, sizeof err);
        dcb_delete(ds, path.c_str());
        dcb_put_string(ds, path.c_str(), value.c_str(), err, sizeof err);
    }
    static const std::string out = "/tmp/cxr-fuzz-writer-" + std::to_string(getpid()) + ".dcm";
    dcb_save(ds, out.c_str(), 0, "2.25.186586493288399124360583939538916151549", "CXREXPLAIN_FUZZ", err, sizeof err);
    dcb_dataset_free(ds);
    return 0;
}
