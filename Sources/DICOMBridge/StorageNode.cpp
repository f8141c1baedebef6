// A Storage SCP (the DICOM node behind `cxr-explain listen`) on DCMTK's SCP pool: one worker thread per
// association up to a limit, each C-STORE received bit for bit into a file the caller names, the caller
// deciding every answer through callbacks.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/scppool.h"
#include "dcmtk/dcmnet/scpthrd.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

using dcb::fail;

namespace {

/// The image storage classes the node takes: CR, DX (for presentation and for processing) and the
/// Secondary Capture classes `convert` and scanners write.
const char *const acceptedSOPClasses[] = {
    UID_ComputedRadiographyImageStorage,
    UID_DigitalXRayImageStorageForPresentation,
    UID_DigitalXRayImageStorageForProcessing,
    UID_SecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
    UID_MultiframeTrueColorSecondaryCaptureImageStorage,
};

/// The transfer syntaxes the reader decodes (DCMTK's JPEG, JPEG-LS and RLE codecs, OpenJPEG), in the
/// order the node prefers them.
const char *const acceptedTransferSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEG2000TransferSyntax,
    UID_RLELosslessTransferSyntax,
};

bool isAcceptedSOPClass(const char *uid) {
    for (const char *c : acceptedSOPClasses)
        if (std::strcmp(c, uid) == 0) return true;
    return false;
}

/// PS3.7 C.4.2: "Refused: SOP Class not supported".
constexpr Uint16 statusSOPClassNotSupported = 0x0122;

/// One association's worker: asks the callbacks whom to accept and what to answer, counts what happened.
class NodeWorker : public DcmBaseSCPPool::DcmBaseSCPWorker, private DcmThreadSCP {
public:
    NodeWorker(DcmBaseSCPPool &pool, const dcb_node_callbacks *callbacks) : DcmBaseSCPWorker(pool), cb(callbacks) {}

    OFCondition setSharedConfig(const DcmSharedSCPConfig &config) override { return DcmThreadSCP::setSharedConfig(config); }
    OFBool busy() override { return DcmThreadSCP::isConnected(); }
    OFCondition workerListen(T_ASC_Association *const assoc) override {
        callingAET.clear(); peerHost.clear(); how = "released"; accepted = false; stored = refused = 0;
        return DcmThreadSCP::run(assoc);
    }

protected:
    void notifyAssociationRequest(const T_ASC_Parameters &params, DcmSCPActionType &) override {
        callingAET = params.DULparams.callingAPTitle;
        peerHost = params.DULparams.callingPresentationAddress;
    }

    OFBool checkCallingAETitleAccepted(const OFString &) override {
        accepted = cb->accept(cb->context, callingAET.c_str(), peerHost.c_str()) != 0;
        if (!accepted) how = "refused: calling AE title or host not allowed (or the node is stopping)";
        return accepted;
    }

    void notifyAbortRequest() override { how = "aborted by the caller"; }
    void notifyDIMSEError(const OFCondition &cond) override { how = std::string("ended by an error: ") + cond.text(); }

    void notifyAssociationTermination() override {
        cb->association_ended(cb->context, callingAET.c_str(), peerHost.c_str(), stored, refused, how.c_str());
    }

    OFCondition handleIncomingCommand(T_DIMSE_Message *message, const DcmPresentationContextInfo &info) override {
        if (message->CommandField != DIMSE_C_STORE_RQ) return DcmThreadSCP::handleIncomingCommand(message, info);
        T_DIMSE_C_StoreRQ &request = message->msg.CStoreRQ;
        std::vector<char> spool(4096, '\0');
        Uint16 refusal = isAcceptedSOPClass(request.AffectedSOPClassUID)
            ? cb->admit(cb->context, callingAET.c_str(), request.AffectedSOPClassUID, spool.data(), spool.size())
            : statusSOPClassNotSupported;
        if (refusal != 0 || spool[0] == '\0') {
            // The data set still has to be read off the network before answering; it is dropped.
            DcmDataset *dropped = nullptr;
            OFCondition cond = receiveSTORERequest(request, info.presentationContextID, dropped);
            delete dropped;
            if (cond.bad()) return cond;
            ++refused;
            return sendSTOREResponse(info.presentationContextID, request, refusal != 0 ? refusal : Uint16(0xA700));
        }
        OFCondition cond = receiveSTORERequest(request, info.presentationContextID, OFString(spool.data()));
        if (cond.bad()) {  // a broken stream (or a write that failed): the association ends, the partial file goes
            ::unlink(spool.data());
            ++refused;
            return cond;
        }
        Uint16 status = cb->stored(cb->context, callingAET.c_str(), spool.data(), request.AffectedSOPClassUID,
                                   request.AffectedSOPInstanceUID);
        if (status == 0 || (status & 0xF000) == 0xB000) ++stored; else ++refused;
        return sendSTOREResponse(info.presentationContextID, request, status);
    }

private:
    const dcb_node_callbacks *cb;
    std::string callingAET, peerHost, how;
    bool accepted = false;
    unsigned stored = 0, refused = 0;
};

class NodePool : public DcmBaseSCPPool {
public:
    explicit NodePool(const dcb_node_callbacks &callbacks) : cb(callbacks) {}

protected:
    DcmBaseSCPWorker *createSCPWorker() override { return new (std::nothrow) NodeWorker(*this, &cb); }

private:
    dcb_node_callbacks cb;
};

}  // namespace

struct dcb_node {
    NodePool pool;
    explicit dcb_node(const dcb_node_callbacks &cb) : pool(cb) {}
};

extern "C" int dcb_node_create(uint16_t port, const char *aet, unsigned max_associations, uint32_t timeout_seconds,
                               const dcb_node_callbacks *callbacks, dcb_node **out, char *err, size_t errlen) {
    dcb::ensureInitialised();
    if (!aet || !callbacks || !out || !callbacks->accept || !callbacks->admit || !callbacks->stored || !callbacks->association_ended)
        return fail(err, errlen, DCB_ERR_INVALID, "no AE title or callbacks given");
    auto *node = new (std::nothrow) dcb_node(*callbacks);
    if (!node) return fail(err, errlen, DCB_ERR_IO, "out of memory");
    DcmSCPConfig &config = node->pool.getConfig();
    config.setPort(port);
    config.setAETitle(aet);
    config.setMaxReceivePDULength(ASC_MAXIMUMPDUSIZE > 131072 ? 131072 : ASC_MAXIMUMPDUSIZE);
    // Non-blocking accept with a one-second timeout: the listening loop notices a stop within a second.
    config.setConnectionBlockingMode(DUL_NOBLOCK);
    config.setConnectionTimeout(1);
    config.setACSETimeout(timeout_seconds);
    config.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    config.setDIMSETimeout(timeout_seconds);
    config.setHostLookupEnabled(OFFalse);  // addresses in the log, no DNS wait per association
    OFList<OFString> syntaxes;
    for (const char *ts : acceptedTransferSyntaxes) syntaxes.push_back(ts);
    OFList<OFString> echoSyntaxes;
    echoSyntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
    echoSyntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
    OFCondition cond = config.addPresentationContext(UID_VerificationSOPClass, echoSyntaxes);
    for (const char *sopClass : acceptedSOPClasses)
        if (cond.good()) cond = config.addPresentationContext(sopClass, syntaxes);
    if (cond.bad()) {
        delete node;
        return fail(err, errlen, DCB_ERR_INVALID, std::string("presentation contexts: ") + cond.text());
    }
    node->pool.setMaxThreads(Uint16(max_associations < 1 ? 1 : (max_associations > 64 ? 64 : max_associations)));
    *out = node;
    return DCB_OK;
}

extern "C" int dcb_node_run(dcb_node *node, char *err, size_t errlen) {
    if (!node) return fail(err, errlen, DCB_ERR_INVALID, "no node");
    OFCondition cond = node->pool.listen();
    if (cond.bad()) return fail(err, errlen, DCB_ERR_IO, std::string("cannot listen: ") + cond.text());
    return DCB_OK;
}

extern "C" void dcb_node_stop(dcb_node *node) {
    if (node) node->pool.stopAfterCurrentAssociations();
}

extern "C" void dcb_node_free(dcb_node *node) { delete node; }
