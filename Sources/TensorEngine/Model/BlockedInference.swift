import COneDNN
import Foundation
import AVX2Kernels

/// SqueezeNet's inference pass up to the fire9 output as oneDNN primitives, one image at a time: direct
/// JIT convolutions with ReLU fused, max-pooling, all in oneDNN's channel-blocked layout (8 channels per
/// block on AVX2, 16 on AVX-512), chosen by the instruction set of the running CPU. No im2col and no
/// concatenation pass: at batch 1 a blocked tensor is its channel blocks one after another, so each fire's
/// two expand convolutions write straight into the two halves of its output.
///
/// The weights are copied (reordered) when this is made: make it only for weights that stay fixed.
/// Runs on the calling thread only (its own OpenMP thread count set to one), so an image's numbers never
/// depend on how many threads the process has. An inference pipeline is lent to one pass at a time
/// (`BlockedInferencePool`); a training pass's and the probe's taps' belong to their workspace.
final class BlockedInference {
    let architecture: SqueezeNetArchitecture
    /// The pool's weight generation this was built from.
    var generation = 0
    private var steps: [Step] = []
    enum Step {
        case primitive(dnnl_primitive_t, [dnnl_exec_arg_t])
        case maxPool(BlockedMaxPool)
        case winograd(Winograd3x3, UnsafePointer<Float>, UnsafeMutablePointer<Float>)
        /// A training pass's copy of an activation into the workspace's (C, N, H, W) buffer: reorder, destination
        /// memory, the buffer, and the offset of one image (H·W).
        case capture(dnnl_primitive_t, [dnnl_exec_arg_t], dnnl_memory_t, UnsafeMutablePointer<Float>, Int)
    }
    /// What a training pass keeps: every activation, into the workspace's (C, N, H, W) buffers.
    struct Capture {
        let batch: Int
        let buffer: (String) -> UnsafeMutablePointer<Float>
        /// The activations to copy (nil: every one, as a training pass needs).
        var only: Set<String>? = nil
    }
    /// How the weights get from the network into this pipeline, kept to redo before each training pass.
    private var weightReorders: [(dnnl_primitive_t, [dnnl_exec_arg_t])] = []
    private var biasCopies: [(UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int)] = []
    private var winogradWeights: [(Winograd3x3, UnsafePointer<Float>, UnsafePointer<Float>)] = []
    private var memories: [dnnl_memory_t] = []
    /// The activations' storage: two slots the layer outputs alternate between, and one for the squeezes (a layer
    /// reads only the output before it; a training pass copies each activation out as soon as it is made).
    private var slots: [UnsafeMutableRawPointer] = []
    private var primitives: [dnnl_primitive_t] = []
    private let stream: dnnl_stream_t
    private var input: dnnl_memory_t?
    private var fire9Plain: dnnl_memory_t?

    /// nil when oneDNN cannot build any part of it or the CPU has no AVX2 (the caller then uses the GEMM path).
    /// - Parameter wideBlocks: 16 channels per block instead of 8 (default: as this CPU's ISA prefers; tests
    ///   set it to check the other layout, which oneDNN then runs with whatever kernels it has).
    /// - Parameter winograd: the 3×3 expands by our Winograd F(2×2, 3×3) kernel (8-channel blocks on an AVX2 CPU
    ///   only; tests turn it off to compare with oneDNN's direct convolutions).
    /// - Parameter capture: for a training pass: every activation is also copied into these buffers (fire9's
    ///   included, instead of `fire9`'s destination).
    init?(_ net: SqueezeNet, wideBlocks: Bool = BlockedInference.channelBlock == dnnl_nChw16c,
          winograd: Bool = BlockedInference.winogradAvailable, capture: Capture? = nil) {
        guard let engine = Self.engine, Self.hasAVX2 else { return nil }
        // The primitives below, like every pass, on the calling thread alone (oneDNN sizes a primitive's thread
        // team when it is made); the thread's own count is given back for whatever else it runs.
        let threads = omp_get_max_threads()
        omp_set_num_threads(1)
        defer { omp_set_num_threads(threads) }
        architecture = net.architecture
        var stream: dnnl_stream_t?
        guard dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream else { return nil }
        self.stream = stream
        let a = net.architecture, block = wideBlocks ? dnnl_nChw16c : dnnl_nChw8c
        var failed = false
        func check(_ status: dnnl_status_t) { if status != dnnl_success { failed = true } }

        func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
            var md = dnnl_memory_desc_t()
            check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map(Int64.init), dnnl_f32, tag))
            return md
        }
        func memory(_ md: dnnl_memory_desc_t, _ handle: UnsafeMutableRawPointer? = cxr_dnnl_memory_allocate()) -> dnnl_memory_t? {
            var m: dnnl_memory_t?, md = md
            check(dnnl_memory_create(&m, &md, engine, handle))
            if let m { memories.append(m) }
            return m
        }
        // The layer outputs in order (conv1, pool1, each fire's, each pool's) alternate between slots 0 and 1, the
        // squeezes share slot 2: each slot as large as the largest activation it holds.
        var outputs = [(64, a.conv1Size), (64, MaxPool2D.outputSize(a.conv1Size, kernel: 3, stride: 2))]
        var squeezes: [(Int, Int)] = []
        for f in SqueezeNetArchitecture.fires {
            let side = net.fireShapes(f).0.height
            squeezes.append((f.squeeze, side))
            outputs.append((f.outChannels, side))
            if SqueezeNetArchitecture.poolAfterFire.contains(f.index) { outputs.append((f.outChannels, MaxPool2D.outputSize(side, kernel: 3, stride: 2))) }
        }
        func bytes(_ shape: (Int, Int)) -> Int { 4 * shape.0 * shape.1 * shape.1 }
        let capacity = [outputs.enumerated().filter { $0.offset % 2 == 0 }.map { bytes($0.element) }.max()!,
                        outputs.enumerated().filter { $0.offset % 2 == 1 }.map { bytes($0.element) }.max()!,
                        squeezes.map(bytes).max()!]
        slots = capacity.map { UnsafeMutableRawPointer.allocate(byteCount: $0, alignment: 64) }
        var outputCount = 0
        /// A layer output (`squeeze`: a squeeze's) in its slot; oneDNN's own storage should its layout need more room.
        func activation(_ channels: Int, _ side: Int, squeeze: Bool = false) -> dnnl_memory_t? {
            let md = desc([1, channels, side, side], block)
            let slot = squeeze ? 2 : outputCount % 2
            if !squeeze { outputCount += 1 }
            var copy = md
            return dnnl_memory_desc_get_size(&copy) <= capacity[slot] ? memory(md, slots[slot]) : memory(md)
        }
        func handle(_ m: dnnl_memory_t) -> UnsafeMutablePointer<Float> {
            var h: UnsafeMutableRawPointer?
            dnnl_memory_get_data_handle(m, &h)
            return h!.assumingMemoryBound(to: Float.self)
        }
        // Every primitive asks for a scratchpad we pass in (user scratchpad mode): oneDNN's own is shared by every
        // primitive of the thread that made them, and a pooled pipeline runs on whichever thread borrows it — a
        // primitive that migrates between threads may then find another thread's scratchpad, or a freed one
        // (oneDNN's documentation: such primitives "cannot migrate between threads").
        /// The scratchpad argument `pd` needs, in memory of this pipeline's own (none when it needs none).
        func scratchpad(of pd: dnnl_primitive_desc_t) -> [dnnl_exec_arg_t] {
            guard let md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0) else { return [] }
            var copy = md.pointee
            guard dnnl_memory_desc_get_size(&copy) > 0, let m = memory(copy) else { return [] }
            return [dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: m)]
        }
        /// A reorder from `source` to `destination` and its scratchpad argument (nil where oneDNN has none).
        func reorder(_ source: UnsafePointer<dnnl_memory_desc_t>, _ destination: UnsafePointer<dnnl_memory_desc_t>)
            -> (dnnl_primitive_t, [dnnl_exec_arg_t])? {
            var attr: dnnl_primitive_attr_t?, rpd: dnnl_primitive_desc_t?, r: dnnl_primitive_t?
            check(dnnl_primitive_attr_create(&attr))
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user))
            check(dnnl_reorder_primitive_desc_create(&rpd, source, engine, destination, engine, attr))
            dnnl_primitive_attr_destroy(attr)
            guard let rpd else { return nil }
            check(dnnl_primitive_create(&r, rpd))
            let scratch = scratchpad(of: rpd)
            dnnl_primitive_desc_destroy(rpd)
            guard let r else { return nil }
            primitives.append(r)
            return (r, scratch)
        }
        func add(_ pd: dnnl_primitive_desc_t, _ arguments: [(Int32, dnnl_memory_t?)]) {
            var p: dnnl_primitive_t?
            check(dnnl_primitive_create(&p, pd))
            let scratch = scratchpad(of: pd)
            dnnl_primitive_desc_destroy(pd)
            guard let p, arguments.allSatisfy({ $0.1 != nil }) else { failed = true; return }
            primitives.append(p)
            steps.append(.primitive(p, arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) } + scratch))
        }
        /// dst = ReLU(conv(src) + bias), weights reordered from the network's OIHW block.
        func conv(_ src: dnnl_memory_t?, _ dst: dnnl_memory_t?, _ name: String, _ shape: ConvShape) {
            guard !failed, let src, let dst else { failed = true; return }
            var srcMD: UnsafePointer<dnnl_memory_desc_t>?, dstMD: UnsafePointer<dnnl_memory_desc_t>?
            dnnl_memory_get_memory_desc(src, &srcMD); dnnl_memory_get_memory_desc(dst, &dstMD)
            let wDims = [shape.outChannels, shape.inChannels, shape.kernel, shape.kernel]
            var wAny = desc(wDims, dnnl_format_tag_any), wUser = desc(wDims, dnnl_oihw), bMD = desc([shape.outChannels], dnnl_x)
            var cd = dnnl_convolution_desc_t()
            let strides = [Int64(shape.stride), Int64(shape.stride)], pad = [Int64(shape.padding), Int64(shape.padding)]
            check(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, srcMD, &wAny, &bMD, dstMD,
                                                     strides, pad, pad))
            var attr: dnnl_primitive_attr_t?, postOps: dnnl_post_ops_t?
            check(dnnl_primitive_attr_create(&attr)); check(dnnl_post_ops_create(&postOps))
            check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0))
            check(dnnl_primitive_attr_set_post_ops(attr, postOps))
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user))
            var pd: dnnl_primitive_desc_t?
            check(dnnl_primitive_desc_create(&pd, &cd, attr, engine, nil))
            dnnl_post_ops_destroy(postOps); dnnl_primitive_attr_destroy(attr)
            guard !failed, let pd, let wMD = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0) else { failed = true; return }
            // Weights: OIHW from the network, reordered once into the primitive's own blocked layout.
            let weights = memory(wMD.pointee)
            let user = memory(wUser, UnsafeMutableRawPointer(net.p("\(name).weight")))
            if let (r, scratch) = reorder(&wUser, wMD), let user, let weights {
                weightReorders.append((r, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: user), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: weights)] + scratch))
            } else { failed = true }
            let bias = memory(bMD)
            if let bias { biasCopies.append((handle(bias), UnsafePointer(net.p("\(name).bias")), shape.outChannels)) }
            add(pd, [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_BIAS, bias), (DNNL_ARG_DST, dst)])
        }
        /// 3×3 / 2 max-pooling with torch's ceil mode, on the blocked layout (ours: oneDNN's took 18 % of the pass).
        func pool(_ src: dnnl_memory_t?, channels: Int, side: Int) -> dnnl_memory_t? {
            let out = MaxPool2D.outputSize(side, kernel: 3, stride: 2)
            guard !failed, let src, let dst = activation(channels, out) else { failed = true; return nil }
            steps.append(.maxPool(BlockedMaxPool(source: UnsafePointer(handle(src)), destination: handle(dst), channels: channels,
                                                 side: side, outputSide: out, block: block == dnnl_nChw16c ? 16 : 8)))
            return dst
        }

        /// A training pass's copy of `m` (one image) into the workspace buffer `name`, (C, N, H, W).
        func keep(_ m: dnnl_memory_t?, _ name: String, channels: Int, side: Int) {
            guard let capture, capture.only?.contains(name) ?? true, !failed, let m else { return }
            let hw = side * side, n = capture.batch
            var plain = dnnl_memory_desc_t(), source = Self.descriptor(of: m)
            check(dnnl_memory_desc_init_by_strides(&plain, 4, [1, Int64(channels), Int64(side), Int64(side)], dnnl_f32,
                                                   [Int64(channels * n * hw), Int64(n * hw), Int64(side), 1]))
            guard let destination = memory(plain, nil) else { failed = true; return }
            guard let (r, scratch) = reorder(&source, &plain) else { failed = true; return }
            steps.append(.capture(r, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: m), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: destination)] + scratch,
                                  destination, capture.buffer(name), hw))
        }

        let plainInput = desc([1, 3, a.inputSize, a.inputSize], dnnl_nchw)
        input = memory(plainInput, nil)
        let conv1 = activation(64, a.conv1Size)
        conv(input, conv1, "features.0", a.conv1Shape)
        keep(conv1, "conv1", channels: 64, side: a.conv1Size)
        var previous = pool(conv1, channels: 64, side: a.conv1Size)
        keep(previous, "pool1", channels: 64, side: MaxPool2D.outputSize(a.conv1Size, kernel: 3, stride: 2))
        for f in SqueezeNetArchitecture.fires {
            let (sq, e1, e3) = net.fireShapes(f), side = sq.height, name = "features.\(f.index)"
            let squeeze = activation(f.squeeze, side, squeeze: true)
            conv(previous, squeeze, "\(name).squeeze", sq)
            keep(squeeze, "fire\(f.index).squeeze", channels: f.squeeze, side: side)
            let out = activation(f.outChannels, side)
            if let out {
                let half = desc([1, f.expand1, side, side], block)
                conv(squeeze, memory(half, UnsafeMutableRawPointer(handle(out))), "\(name).expand1x1", e1)
                let upper = handle(out) + f.expand1 * side * side
                if winograd && !wideBlocks, let squeeze {
                    let w = UnsafePointer(net.p("\(name).expand3x3.weight")), b = UnsafePointer(net.p("\(name).expand3x3.bias"))
                    let kernel = Winograd3x3(inChannels: f.squeeze, outChannels: f.expand3, side: side)
                    winogradWeights.append((kernel, w, b))
                    steps.append(.winograd(kernel, UnsafePointer(handle(squeeze)), upper))
                } else {
                    conv(squeeze, memory(desc([1, f.expand3, side, side], block), UnsafeMutableRawPointer(upper)), "\(name).expand3x3", e3)
                }
            } else { failed = true }
            previous = out
            keep(out, "fire\(f.index)", channels: f.outChannels, side: side)
            if SqueezeNetArchitecture.poolAfterFire.contains(f.index) {
                previous = pool(previous, channels: f.outChannels, side: side)
                keep(previous, f.index == 4 ? "pool2" : "pool3", channels: f.outChannels, side: MaxPool2D.outputSize(side, kernel: 3, stride: 2))
            }
        }
        // fire9's output back to plain NCHW, for the classifier head, the features and Grad-CAM.
        let side = a.featureSize
        fire9Plain = capture == nil ? memory(desc([1, 512, side, side], dnnl_nchw), nil) : nil
        if !failed, let previous, let fire9Plain {
            var srcMD = Self.descriptor(of: previous)
            var plainMD = Self.descriptor(of: fire9Plain)
            if let (r, scratch) = reorder(&srcMD, &plainMD) {
                steps.append(.primitive(r, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: previous),
                                            dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: fire9Plain)] + scratch))
            } else { failed = true }
        }
        if failed { release(); return nil }
        loadWeights()
    }

    /// Copies the network's current weights in (reordered, and transformed for Winograd): at construction, and
    /// before each training pass (the optimiser changes them in place).
    func loadWeights() {
        let threads = omp_get_max_threads()
        omp_set_num_threads(1)
        defer { omp_set_num_threads(threads) }
        for (reorder, arguments) in weightReorders {
            let status = arguments.withUnsafeBufferPointer { dnnl_primitive_execute(reorder, stream, Int32($0.count), $0.baseAddress) }
            precondition(status == dnnl_success, "oneDNN weight reorder failed (\(status.rawValue))")
        }
        dnnl_stream_wait(stream)
        for (destination, source, count) in biasCopies { destination.update(from: source, count: count) }
        for (kernel, weights, bias) in winogradWeights { kernel.setWeights(weights, bias: bias) }
    }

    deinit { release(); dnnl_stream_destroy(stream) }

    private func release() {
        for p in primitives { dnnl_primitive_destroy(p) }
        for m in memories { dnnl_memory_destroy(m) }
        for slot in slots { slot.deallocate() }
        primitives = []; memories = []; steps = []; slots = []
    }

    /// fire9's output (512 × side², plain) for one image (3 × size², plain).
    func fire9(input image: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        dnnl_memory_set_data_handle(fire9Plain, out)
        run(image, index: 0)
    }

    /// A training pass over image `index` of the batch: its activations go into the capture buffers.
    func keepActivations(input image: UnsafePointer<Float>, index: Int) { run(image, index: index) }

    private func run(_ image: UnsafePointer<Float>, index: Int) {
        let threads = omp_get_max_threads()
        omp_set_num_threads(1)
        defer { omp_set_num_threads(threads) }
        dnnl_memory_set_data_handle(input, UnsafeMutableRawPointer(mutating: image))
        for (i, step) in steps.enumerated() {
            switch step {
            case .primitive(let primitive, let arguments):
                let status = arguments.withUnsafeBufferPointer {
                    dnnl_primitive_execute(primitive, stream, Int32($0.count), $0.baseAddress)
                }
                precondition(status == dnnl_success, "oneDNN primitive \(i) failed (\(status.rawValue))")
            case .maxPool(let pool):
                pool.run()
            case .winograd(let kernel, let source, let destination):
                kernel.run(source: source, destination: destination)
            case .capture(let reorder, let arguments, let destination, let buffer, let plane):
                dnnl_memory_set_data_handle(destination, buffer + index * plane)
                let status = arguments.withUnsafeBufferPointer { dnnl_primitive_execute(reorder, stream, Int32($0.count), $0.baseAddress) }
                precondition(status == dnnl_success, "oneDNN activation copy failed (\(status.rawValue))")
            }
        }
        dnnl_stream_wait(stream)
    }

    static func descriptor(of m: dnnl_memory_t) -> dnnl_memory_desc_t {
        var md: UnsafePointer<dnnl_memory_desc_t>?
        dnnl_memory_get_memory_desc(m, &md)
        return md!.pointee
    }

    /// One CPU engine for the process (engines are thread-safe; streams are per instance).
    nonisolated(unsafe) static let engine: dnnl_engine_t? = {
        var e: dnnl_engine_t?
        return dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success ? e : nil
    }()

    /// Channels per block: what the JIT convolutions of this CPU's instruction set work in.
    static let channelBlock: dnnl_format_tag_t = {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        return isa & dnnl_cpu_isa_avx512_core.rawValue == dnnl_cpu_isa_avx512_core.rawValue ? dnnl_nChw16c : dnnl_nChw8c
    }()

    /// Our own kernels (max-pooling, Winograd) are compiled for AVX2 + FMA (every CPU with AVX2 has FMA); a CPU
    /// without them, older than 2013, gets no blocked pass and uses the GEMM path.
    static let hasAVX2: Bool = {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        return isa & dnnl_cpu_isa_avx2.rawValue == dnnl_cpu_isa_avx2.rawValue
    }()

    /// Our Winograd kernel where oneDNN works in 8-channel blocks (AVX2); AVX-512 CPUs keep oneDNN's own convolutions.
    static let winogradAvailable = hasAVX2 && channelBlock == dnnl_nChw8c

    /// "oneDNN 2.6.3 direct convolutions + Winograd F(2×2,3×3) 3×3 expands, nChw8c, avx2", for benchmarks and logs.
    static var kernels: String {
        let v = dnnl_version()!.pointee, isa = String(cString: dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()))
        let expands = winogradAvailable ? " + own Winograd F(2×2,3×3) 3×3 expands" : ""
        return "oneDNN \(v.major).\(v.minor).\(v.patch) direct convolutions\(expands), \(channelBlock == dnnl_nChw16c ? "nChw16c" : "nChw8c"), \(isa)"
    }
}

/// The blocked pipelines of one network not in use by a workspace. Thread-safe: workers borrow and give back
/// concurrently. A pipeline built before the weights last changed is never lent again.
final class BlockedInferencePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [BlockedInference] = []
    private var generation = 0
    /// How many pipelines this pool has made (for tests: workspaces share them).
    private(set) var made = 0

    /// An idle pipeline for the current weights, or a new one (nil where oneDNN cannot build it).
    func borrow(_ net: SqueezeNet) -> BlockedInference? {
        lock.lock()
        let current = generation
        if let reused = idle.popLast() { lock.unlock(); return reused }
        lock.unlock()
        let pipeline = BlockedInference(net)
        pipeline?.generation = current
        if pipeline != nil { lock.lock(); made += 1; lock.unlock() }
        return pipeline
    }

    func giveBack(_ pipeline: BlockedInference) {
        lock.lock(); defer { lock.unlock() }
        // Keep a few (one per concurrent worker is the need); older weights' pipelines are dropped.
        if pipeline.generation == generation && idle.count < 8 { idle.append(pipeline) }
    }

    func weightsChanged() {
        lock.lock(); defer { lock.unlock() }
        generation += 1
        idle.removeAll()
    }
}
