// An explanation map as a Parametric Map (float, one frame) with DCMTK's dcmpmap and dcmfg: the modules and
// functional groups are DCMTK's; we give the values, the grid and what the values mean.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmfg/fgderimg.h"
#include "dcmtk/dcmfg/fgfracon.h"
#include "dcmtk/dcmfg/fgframeanatomy.h"
#include "dcmtk/dcmfg/fgpixeltransform.h"
#include "dcmtk/dcmfg/fgparametricmapframetype.h"
#include "dcmtk/dcmfg/fgpixmsr.h"
#include "dcmtk/dcmfg/fgplanor.h"
#include "dcmtk/dcmfg/fgplanpo.h"
#include "dcmtk/dcmfg/fgrealworldvaluemapping.h"
#include "dcmtk/dcmiod/iodmacro.h"
#include "dcmtk/dcmpmap/dpmparametricmapiod.h"

#include <new>
#include <vector>


extern "C" int dcb_parametric_map_build(dcb_dataset *source, const dcb_parametric_map *m, const float *values,
                                        dcb_dataset **out, char *err, size_t errlen) {
    dcb::ensureInitialised();
    if (!source || !m || !values || !out || m->rows == 0 || m->columns == 0 || m->rows > 65535 || m->columns > 65535)
        return dcb::fail(err, errlen, DCB_ERR_INVALID, "Parametric Map: no source, values or size");
    DcmDataset &src = *source->file.getDataset();
    OFString modality;
    src.findAndGetOFString(DCM_Modality, modality);
    if (modality.empty()) modality = "OT";

    // Software Versions is replaced by the caller with the release; the module needs a value to be created.
    IODEnhGeneralEquipmentModule::EquipmentInfo equipment("CXRExplain", "cxr-explain", "1", "CXRExplain");
    ContentIdentificationMacro content(dcb::orEmpty(m->instance_number), dcb::orEmpty(m->content_label), dcb::orEmpty(m->content_description), "");
    OFvariant<OFCondition, DPMParametricMapIOD> made = DPMParametricMapIOD::create<IODFloatingPointImagePixelModule>(
        modality, dcb::orEmpty(m->series_number), dcb::orEmpty(m->instance_number), Uint16(m->rows), Uint16(m->columns), equipment,
        content, "STATIC", "NONE", DPMTypes::CQ_RESEARCH);
    if (OFCondition *c = OFget<OFCondition>(&made))
        return dcb::fail(err, errlen, DCB_ERR_INVALID, std::string("Parametric Map: ") + c->text());
    DPMParametricMapIOD &map = *OFget<DPMParametricMapIOD>(&made);

    std::string failure;
    auto step = [&](const OFCondition &cond, const char *what) {
        if (failure.empty() && cond.bad()) failure = std::string("Parametric Map: ") + what + ": " + cond.text();
    };
    // The map lies in the source's image plane; a projection radiograph has no patient coordinates, so the
    // plane is stated as the identity (rows along x, columns along y) in a frame of reference of its own.
    // Pixel spacing only when the source has one: a spacing nobody measured is not written.
    FGPixelMeasures measures;
    if (m->pixel_spacing) step(measures.setPixelSpacing(m->pixel_spacing), "pixel spacing");
    step(map.addForAllFrames(measures), "pixel measures");
    OFunique_ptr<FGPlaneOrientationPatient> orientation(FGPlaneOrientationPatient::createMinimal("1", "0", "0", "0", "1", "0"));
    if (orientation) step(map.addForAllFrames(*orientation), "plane orientation");
    FGFrameAnatomy anatomy;
    anatomy.getAnatomy().getAnatomicRegion().set("51185008", "SCT", "Chest");
    step(anatomy.setLaterality(FGFrameAnatomy::LATERALITY_UNPAIRED), "frame anatomy");
    step(map.addForAllFrames(anatomy), "frame anatomy");
    FGPixelValueTransformation identity;
    identity.setFGType(FGPixelValueTransformation::E_PixelValTrans_Identity);
    step(map.addForAllFrames(identity), "identity transformation");
    FGParametricMapFrameType frameType;
    step(frameType.setFrameType("DERIVED\\PRIMARY\\STATIC\\NONE"), "frame type");
    step(map.addForAllFrames(frameType), "frame type");

    FGRealWorldValueMapping rwvm;
    auto *item = new FGRealWorldValueMapping::RWVMItem();
    step(item->setRealWorldValueSlope(1), "slope");
    step(item->setRealWorldValueIntercept(0), "intercept");
    step(item->setDoubleFloatRealWorldValueFirstValueMapped(m->first_value), "first value mapped");
    step(item->setDoubleFloatRealWorldValueLastValueMapped(m->last_value), "last value mapped");
    step(item->getMeasurementUnitsCode().set("1", "UCUM", "no units"), "units");
    step(item->setLUTLabel(dcb::orEmpty(m->lut_label)), "LUT label");
    step(item->setLUTExplanation(dcb::orEmpty(m->lut_explanation)), "LUT explanation");
    rwvm.getRealWorldValueMapping().push_back(item);
    step(map.addForAllFrames(rwvm), "real world value mapping");

    // Derived from the source image by (110001, DCM, "Image Processing").
    OFString sourceClass, sourceInstance;
    src.findAndGetOFString(DCM_SOPClassUID, sourceClass);
    src.findAndGetOFString(DCM_SOPInstanceUID, sourceInstance);
    ImageSOPInstanceReferenceMacro *reference = nullptr;
    if (ImageSOPInstanceReferenceMacro::create(sourceClass, sourceInstance, reference).good() && reference) {
        OFVector<ImageSOPInstanceReferenceMacro> references;
        references.push_back(*reference);
        delete reference;
        OFunique_ptr<FGDerivationImage> derivation(FGDerivationImage::createMinimal(
            references, dcb::orEmpty(m->derivation_description), CodeSequenceMacro("110001", "DCM", "Image Processing"),
            CodeSequenceMacro("121322", "DCM", "Source image for image processing operation")));
        if (derivation) step(map.addForAllFrames(*derivation), "derivation image");
    }

    // One frame, indexed by its (nominal) position: the Multi-frame Dimension module needs one dimension.
    step(map.getIODMultiframeDimensionModule().addDimensionIndex(DCM_ImagePositionPatient, dcb::orEmpty(m->dimension_organization_uid),
                                                                 DCM_PlanePositionSequence, "ImagePositionPatient"),
         "dimension index");
    FGPlanePosPatient position;
    step(position.setImagePositionPatient("0", "0", "0"), "plane position");
    FGFrameContent frameContent;
    step(frameContent.setDimensionIndexValues(1, 0), "dimension index value");
    OFVector<FGBase *> perFrame;
    perFrame.push_back(&position);
    perFrame.push_back(&frameContent);
    DPMParametricMapIOD::FramesType frames = map.getFrames();
    if (auto *f = OFget<DPMParametricMapIOD::Frames<Float32>>(&frames)) {
        std::vector<Float32> copy(values, values + size_t(m->rows) * m->columns);
        step(f->addFrame(copy.data(), copy.size(), perFrame), "frame");
    } else {
        failure = "Parametric Map: not a float map";
    }
    if (!failure.empty()) return dcb::fail(err, errlen, DCB_ERR_INVALID, failure);

    return dcb::writeNewDataset([&](DcmItem &d) { return map.writeDataset(d); }, "Parametric Map", out, err, errlen);
}
