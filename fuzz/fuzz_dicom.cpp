// libFuzzer target: DICOM parse (from memory, every transfer syntax DCMTK and OpenJPEG handle) and decode of
// frame 1, through the bridge's C API exactly as the Swift reader calls it.
#include "DICOMBridge.h"
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    dcb_dataset *ds = nullptr;
    if (dcb_dataset_load_memory(data, size, &ds, err, sizeof err) != DCB_OK) return 0;
    dcb_pixel_info info;
    if (dcb_pixel_info_get(ds, &info, err, sizeof err) == DCB_OK) {
        size_t count = static_cast<size_t>(info.rows) * info.columns * info.samples_per_pixel;
        if (count > 0 && count <= (1u << 24)) {  // the fuzzer's memory limit, not the product's (100 MP)
            std::vector<int32_t> out(count);
            dcb_decode_stored(ds, out.data(), count, err, sizeof err);
        }
    }
    char buf[256];
    size_t needed = 0;
    dcb_get_string(ds, "PatientName", buf, sizeof buf, &needed);  // PN, converted from its character set
    dcb_get_string(ds, "StudyDescription", buf, sizeof buf, &needed);  // LO likewise
    dcb_get_string(ds, "ViewCodeSequence[0].CodeValue", buf, sizeof buf, &needed);
    // The header's words the decision reads (RadiographTags.descriptionAttributes), nested sequences included.
    for (const char *path : {"SeriesDescription", "ImageComments", "ProcedureCodeSequence[0].CodeMeaning",
                             "PatientOrientationCodeSequence[0].PatientOrientationModifierCodeSequence[0].CodeMeaning",
                             "RequestAttributesSequence[0].ScheduledProcedureStepDescription"})
        dcb_get_string(ds, path, buf, sizeof buf, &needed);
    dcb_dataset_free(ds);
    return 0;
}
