// A Grayscale Softcopy Presentation State that outlines the explanation's top region on the source image,
// with DCMTK's dcmpstat: the display is taken from the image (createFromImage), the outlines are polylines
// on one graphic layer.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmpstat/dcmpstat.h"
#include "dcmtk/dcmpstat/dvpsgr.h"
#include "dcmtk/dcmpstat/dvpssv.h"

#include <new>

namespace {
/// DcmPresentationState adds graphic objects only through an attached, decoded image (DVPresentationState);
/// its annotation list takes them for an image by reference without decoding it.
struct OutlinePresentationState : DcmPresentationState {
    DVPSGraphicAnnotation_PList &annotations() { return graphicAnnotationList; }

    /// A Softcopy VOI LUT item with one window for every referenced image.
    OFCondition setWindow(const char *sopClass, const char *sopInstance, double center, double width, const char *explanation) {
        DVPSSoftcopyVOI *voi = softcopyVOIList.createSoftcopyVOI(referencedSeriesList, sopClass, sopInstance, 1, 1, DVPSB_allImages);
        return voi ? voi->setVOIWindow(center, width, explanation) : EC_MemoryExhausted;
    }
};
}

extern "C" int dcb_presentation_state_build(dcb_dataset *source, const dcb_presentation_state *p, dcb_dataset **out,
                                            char *err, size_t errlen) {
    dcb::ensureInitialised();
    if (!source || !p || !out || (p->polyline_count > 0 && (!p->points || !p->point_counts)))
        return dcb::fail(err, errlen, DCB_ERR_INVALID, "presentation state: no source or outlines");
    DcmDataset &src = *source->file.getDataset();
    OFString sopClass, sopInstance;
    src.findAndGetOFString(DCM_SOPClassUID, sopClass);
    src.findAndGetOFString(DCM_SOPInstanceUID, sopInstance);
    OutlinePresentationState ps;
    std::string failure;
    auto step = [&](const OFCondition &cond, const char *what) {
        if (failure.empty() && cond.bad()) failure = std::string("presentation state: ") + what + ": " + cond.text();
    };
    // The image's own display (VOI LUT or window, shutters, presentation LUT shape); its overlays and curves are
    // left out (ours are drawn as graphics). A VOI dcmpstat refuses fails createFromImage: then none is copied.
    auto fromImage = [&](DVPSVOIActivation voi) {
        return ps.createFromImage(src, DVPSO_ignoreOverlays, voi, OFFalse, OFTrue, OFTrue, DVPSG_oneLayer);
    };
    const DVPSVOIActivation voi = p->has_window ? DVPSV_ignoreVOI : DVPSV_preferVOILUT;
    OFCondition made = fromImage(voi);
    if (made.bad() && voi != DVPSV_ignoreVOI) {
        ps.clear();
        made = fromImage(DVPSV_ignoreVOI);
    }
    step(made, "from image");
    if (p->has_window)
        step(ps.setWindow(sopClass.c_str(), sopInstance.c_str(), p->window_center, p->window_width, p->window_explanation), "window");
    step(ps.setPresentationLabel(dcb::orEmpty(p->label)), "label");
    step(ps.setPresentationDescription(dcb::orEmpty(p->description)), "description");
    step(ps.addGraphicLayer(dcb::orEmpty(p->layer), p->layer_description), "graphic layer");
    const size_t layer = ps.getGraphicLayerIndex(dcb::orEmpty(p->layer));
    if (failure.empty() && layer >= ps.getNumberOfGraphicLayers()) failure = "presentation state: graphic layer not found";
    if (failure.empty()) step(ps.setGraphicLayerRecommendedDisplayValueGray(layer, 0xFFFF), "layer display value");

    // Graphic objects go into the Graphic Annotation Sequence for the referenced image.
    const float *point = p->points;
    for (size_t i = 0; failure.empty() && i < p->polyline_count; ++i) {
        DVPSGraphicObject *graphic = ps.annotations().addGraphicObject(dcb::orEmpty(p->layer), sopClass.c_str(),
                                                                                 sopInstance.c_str(), 0, DVPSB_allImages);
        if (!graphic) { failure = "presentation state: cannot add a graphic object"; break; }
        step(graphic->setData(p->point_counts[i], point, DVPSA_pixels), "graphic data");
        step(graphic->setGraphicType(DVPST_polyline), "graphic type");
        step(graphic->setFilled(OFFalse), "graphic fill");
        point += 2 * p->point_counts[i];
    }
    if (!failure.empty()) return dcb::fail(err, errlen, DCB_ERR_INVALID, failure);
    return dcb::writeNewDataset([&](DcmItem &d) { return ps.write(d, OFTrue); }, "presentation state", out, err, errlen);
}
