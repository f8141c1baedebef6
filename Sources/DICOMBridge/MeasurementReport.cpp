// One image's view classification as a TID 1500 Imaging Measurement Report, built with DCMTK's dcmsr/cmr
// template classes (TID 1500, 1001, 1600, 1501, 300) so the structure is DCMTK's, not ours.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmsr/codes/dcm.h"
#include "dcmtk/dcmsr/codes/ucum.h"
#include "dcmtk/dcmsr/cmr/init.h"
#include "dcmtk/dcmsr/cmr/tid1500.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include <mutex>
#include <new>

namespace {

/// Checks a DCMTK condition; on failure fills the error and makes `ok` false.
struct Steps {
    char *err;
    size_t errlen;
    bool ok = true;
    int status = DCB_OK;
    void operator()(const OFCondition &cond, const char *what) {
        if (ok && cond.bad()) {
            ok = false;
            status = dcb::fail(err, errlen, DCB_ERR_INVALID, std::string("TID 1500: ") + what + ": " + cond.text());
        }
    }
    void require(size_t nodeID, const char *what) {
        if (ok && nodeID == 0) {
            ok = false;
            status = dcb::fail(err, errlen, DCB_ERR_INVALID, std::string("TID 1500: ") + what);
        }
    }
};

}  // namespace

extern "C" int dcb_sr_view_report_build(dcb_dataset *source, const dcb_sr_view_report *r, dcb_dataset **out,
                                        char *err, size_t errlen) {
    dcb::ensureInitialised();
    if (!source || !r || !out) return dcb::fail(err, errlen, DCB_ERR_INVALID, "no source, report or output given");
    // DCMTK's context groups are built once for the process: their initialisation is not thread-safe, and
    // `process --jobs 2` writes two reports at once (a race here crashed a run).
    static std::once_flag contextGroups;
    std::call_once(contextGroups, [] { CMR_ContentMappingResource::initializeAllContextGroups(); });
    Steps step{err, errlen};
    DcmDataset &sourceDataset = *source->file.getDataset();

    TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
    step(report.setLanguage(CID5000_Languages(CID5000_Languages::English)), "language");
    step(report.getObservationContext().addDeviceObserver(r->device_observer_uid, dcb::orEmpty(r->device_observer_name),
                                                          dcb::orEmpty(r->manufacturer), dcb::orEmpty(r->model_name)),
         "device observer");
    step(report.addProcedureReported(DSRCodedEntryValue("399208008", "SCT", "Plain chest X-ray")), "procedure reported");
    // Image library: the source, with the descriptors DCMTK reads from it (modality, view, dates, spacing…).
    step(report.getImageLibrary().createNewImageLibrary(), "image library");
    step(report.getImageLibrary().addImageGroup(), "image library group");
    // Descriptors are read from a copy without the source's invalid dates, times and numbers: the library
    // describes the image only with values a reader can parse (the source keeps its own).
    DcmDataset described(sourceDataset);
    for (unsigned long i = described.card(); i-- > 0;) {
        DcmElement *e = described.getElement(i);
        const DcmEVR vr = e ? e->ident() : EVR_UNKNOWN;
        const bool dated = vr == EVR_DA || vr == EVR_TM || vr == EVR_DT;
        if ((dated && r->describe_without_dates) ||
            ((dated || vr == EVR_DS || vr == EVR_IS) && e->checkValue("1-n").bad()))
            delete described.remove(e);
    }
    step(report.getImageLibrary().addImageEntry(described, TID1600_ImageLibrary::withAllDescriptors), "image library entry");

    // One measurement group for the image: the probability (TID 300) and the view (qualitative evaluations).
    step(report.addIndividualMeasurements(), "measurement group");
    CMR_TID1501_in_TID1500 &group = report.getIndividualMeasurements();
    step(group.setTrackingIdentifier(dcb::orEmpty(r->tracking_identifier)), "tracking identifier");
    step(group.setTrackingUniqueIdentifier(dcb::orEmpty(r->tracking_uid)), "tracking UID");
    const CMR_SRNumericMeasurementValue probability(dcb::orEmpty(r->probability),
                                                    CMR_CID7181(DSRCodedEntryValue("1", "UCUM", "no units")));
    step(group.addMeasurement(CMR_CID7469(DSRCodedEntryValue(CODE_DCM_Probability)), probability), "probability");
    // The source is what the probability was inferred from; each presentation state shows a result on it.
    OFString sourceClass, sourceInstance;
    sourceDataset.findAndGetOFString(DCM_SOPClassUID, sourceClass);
    sourceDataset.findAndGetOFString(DCM_SOPInstanceUID, sourceInstance);
    bool withState = false;
    for (size_t i = 0; i < r->reference_count; ++i) {
        if (!r->references[i].is_presentation_state) continue;
        withState = true;
        step(group.getMeasurement().addImage(CODE_DCM_SourceOfMeasurement,
                                             DSRImageReferenceValue(sourceClass, sourceInstance, r->references[i].sop_class_uid,
                                                                    r->references[i].sop_instance_uid, OFFalse), OFFalse),
             "source of measurement");
    }
    if (!withState)
        step(group.getMeasurement().addImage(CODE_DCM_SourceOfMeasurement, DSRImageReferenceValue(sourceClass, sourceInstance, OFFalse), OFFalse),
             "source of measurement");
    step(group.addQualitativeEvaluation(CODE_DCM_ImageView,
                                        DSRCodedEntryValue(dcb::orEmpty(r->view_code_value), dcb::orEmpty(r->view_code_scheme),
                                                           dcb::orEmpty(r->view_code_meaning))),
         "image view");
    if (r->decision_text && *r->decision_text)
        step(group.addQualitativeEvaluation(CODE_DCM_Comment, OFString(r->decision_text)), "decision");

    DSRDocument doc(DSRTypes::DT_ComprehensiveSR);
    if (step.ok) step(doc.setTreeFromRootTemplate(report, OFTrue), "document tree");
    DSRDocumentTree &tree = doc.getTree();
    if (step.ok) {
        // TID 4019 Algorithm Identification on the measurement (TID 300 row 8; DCMTK 3.6.7's TID 300 class
        // has no setter for it, so its items are added to the expanded tree).
        step.require(tree.gotoNamedNode(CODE_DCM_Probability), "no probability item");
        step(tree.addChildContentItem(DSRTypes::RT_hasConceptMod, DSRTypes::VT_Code, CODE_DCM_AlgorithmFamily), "algorithm family");
        step(tree.getCurrentContentItem().setCodeValue(CODE_DCM_ArtificialIntelligence), "algorithm family value");
        step(tree.addContentItem(DSRTypes::RT_hasConceptMod, DSRTypes::VT_Text, CODE_DCM_AlgorithmName), "algorithm name");
        step(tree.getCurrentContentItem().setStringValue(dcb::orEmpty(r->algorithm_name)), "algorithm name value");
        step(tree.addContentItem(DSRTypes::RT_hasConceptMod, DSRTypes::VT_Text, CODE_DCM_AlgorithmVersion), "algorithm version");
        step(tree.getCurrentContentItem().setStringValue(dcb::orEmpty(r->algorithm_version)), "algorithm version value");
        for (size_t i = 0; i < r->algorithm_parameter_count; ++i) {
            step(tree.addContentItem(DSRTypes::RT_hasConceptMod, DSRTypes::VT_Text, CODE_DCM_AlgorithmParameters), "algorithm parameters");
            step(tree.getCurrentContentItem().setStringValue(dcb::orEmpty(r->algorithm_parameters[i]), OFFalse), "algorithm parameters value");
        }
    }
    if (step.ok) {
        // What was written for the image (explanation images, parametric maps): illustrations of the result.
        step.require(tree.gotoNamedNode(CODE_DCM_MeasurementGroup), "no measurement group");
        step.require(tree.goDown(), "an empty measurement group");
        while (step.ok && tree.gotoNext() > 0) {}
        for (size_t i = 0; step.ok && i < r->reference_count; ++i) {
            if (r->references[i].is_presentation_state) continue;
            step(tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Image, CODE_DCM_IllustrationOfROI), "illustration");
            step(tree.getCurrentContentItem().setImageReference(
                     DSRImageReferenceValue(r->references[i].sop_class_uid, r->references[i].sop_instance_uid, OFFalse), OFFalse),
                 "illustration reference");
        }
    }
    if (!step.ok) return step.status;

    return dcb::writeNewDataset([&](DcmItem &d) { return doc.write(d); }, "TID 1500", out, err, errlen);
}
