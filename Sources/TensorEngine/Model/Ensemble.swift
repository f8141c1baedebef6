/// Networks of one architecture trained from different initialisations, whose logits are averaged (summed in
/// member order, so the result does not depend on threads). Inference and explanations take an ensemble; a
/// model of one network is an ensemble of one, and then every number is that network's own.
public struct Ensemble: Sendable {
    public let members: [SqueezeNet]

    public init(_ members: [SqueezeNet]) {
        precondition(!members.isEmpty && members.allSatisfy { $0.architecture == members[0].architecture },
                     "an ensemble needs networks of one architecture")
        self.members = members
    }

    public init(_ network: SqueezeNet) { self.init([network]) }

    public var architecture: SqueezeNetArchitecture { members[0].architecture }
    public var classes: Int { architecture.classes }

    /// One workspace per member, for inference (`fixedWeights`, see `SqueezeNet.makeWorkspace`).
    public func makeWorkspace(batch: Int) -> EnsembleWorkspace {
        EnsembleWorkspace(members.map { $0.makeWorkspace(batch: batch, fixedWeights: true) })
    }

    /// The mean of the members' logits (N, classes) for `input` (N, 3, S, S).
    @discardableResult
    public func forward(_ ws: EnsembleWorkspace, input: UnsafePointer<Float>) -> [Float] {
        var sum = members[0].forward(ws.members[0], input: input)
        guard members.count > 1 else { return sum }
        for m in 1..<members.count {
            let logits = members[m].forward(ws.members[m], input: input)
            for i in sum.indices { sum[i] += logits[i] }
        }
        let scale = 1 / Float(members.count)
        return sum.map { $0 * scale }
    }

    /// A copy with its own parameters (for checks that change weights).
    public func copy() -> Ensemble { Ensemble(members.map { $0.copy() }) }
}

/// The members' workspaces of an ensemble, for one batch size.
public final class EnsembleWorkspace: @unchecked Sendable {
    public let members: [Workspace]

    /// Wraps existing workspaces (one per member, in member order).
    public init(_ members: [Workspace]) { self.members = members }

    public var batch: Int { members[0].batch }
    public var featureChannels: Int { members[0].featureChannels }
    /// The first member's pooled fire9 features of the last pass (N, 512): the content check's space.
    public var pooledFeatures: [Float] { members[0].pooledFeatures }
}
