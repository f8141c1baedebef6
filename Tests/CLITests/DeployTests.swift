import Foundation
import TestSupport
import Testing

/// `deploy/`: the Kubernetes Indexed Job manifest parses, says what the exit statuses mean, and its command
/// lines run here (plan, every index, report); the Slurm array script runs locally with SLURM_ARRAY_TASK_ID set
/// in a loop. Both on the demo films, with the clock fixed: their DICOM outputs are byte-identical to each
/// other's (4 shards against 3) and every input is in the merged results exactly once.
@Suite(.enabled(if: Tool.python != nil, "needs Debian's python3 (PyYAML) to read the manifest"), .serialized)
struct DeployTests {
    static let deploy = TestPaths.packageRoot.appendingPathComponent("deploy")
    static let demo = TestPaths.packageRoot.appendingPathComponent("sample-data/demo")

    struct Results: Decodable {
        struct Image: Decodable { var relativePath: String }
        var images: [Image]
    }

    /// Every DICOM object under `out` (not the records), by relative path, with its bytes.
    static func dicomOutputs(_ out: URL) -> [String: Data] {
        var found: [String: Data] = [:]
        for case let rel as String in FileManager.default.enumerator(atPath: out.path)! where rel.hasSuffix(".dcm") && !rel.hasPrefix(".") {
            found[rel] = FileManager.default.contents(atPath: out.appendingPathComponent(rel).path)
        }
        return found
    }

    static func checkMerged(_ out: URL, inputs: Int) throws {
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        let paths = results.images.map(\.relativePath)
        #expect(paths.count == inputs && Set(paths).count == inputs, "every input once: \(paths)")
    }

    @Test("the Kubernetes Indexed Job: plan, every index, report — as the manifest says, here")
    func kubernetesIndexedJob() throws {
        let python = try #require(Tool.python)
        let parsed = try Tool.run(python, ["-c", "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
                                           Self.deploy.appendingPathComponent("k8s-indexed-job.yaml").path])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let documents = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [[String: Any]])
        func job(_ step: String) throws -> (spec: [String: Any], container: [String: Any]) {
            let doc = try #require(documents.first { (($0["metadata"] as? [String: Any])?["labels"] as? [String: Any])?["step"] as? String == step })
            #expect(doc["kind"] as? String == "Job" && doc["apiVersion"] as? String == "batch/v1")
            let spec = try #require(doc["spec"] as? [String: Any])
            let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
            return (spec, try #require((pod["containers"] as? [[String: Any]])?.first))
        }
        let process = try job("process")
        #expect(process.spec["completionMode"] as? String == "Indexed")
        let shards = try #require(process.spec["completions"] as? Int)
        #expect(process.spec["parallelism"] as? Int == shards)
        let rules = try #require((process.spec["podFailurePolicy"] as? [String: Any])?["rules"] as? [[String: Any]])
        func action(forExit code: Int) -> String? {
            rules.first { (($0["onExitCodes"] as? [String: Any])?["values"] as? [Int])?.contains(code) == true }?["action"] as? String
        }
        #expect(action(forExit: 75) == "Count", "EX_TEMPFAIL is retried")
        #expect(action(forExit: 1) == "FailIndex", "bad inputs are not retried")
        #expect(action(forExit: 2) == "FailJob")
        let env = try #require(process.container["env"] as? [[String: Any]])
        let index = try #require(env.first { $0["name"] as? String == "SHARD_INDEX" })
        #expect("\(index)".contains("batch.kubernetes.io/job-completion-index"))

        // The manifest's own command lines, with this machine's folders for the shared volume.
        let input = TestPaths.temporaryDirectory("k8s-data")
        try FileManager.default.copyItem(at: Self.demo, to: input.appendingPathComponent("archive"))
        let out = input.appendingPathComponent("results")
        func run(_ container: [String: Any], index: Int? = nil) throws -> ToolResult {
            let args = try #require(container["args"] as? [String]).map {
                $0.replacingOccurrences(of: "/data/", with: input.path + "/").replacingOccurrences(of: "$(SHARD_INDEX)", with: index.map(String.init) ?? "")
            }
            return try CLI.run(args, environment: CLI.fixedClock)
        }
        let plan = try run(try job("plan").container)
        #expect(plan.status == 0 && plan.stdout.contains("plan: "), "\(plan.stdout)\(plan.stderr)")
        for i in 0..<shards {
            let r = try run(process.container, index: i)
            #expect(r.status == 0, "index \(i): \(r.stderr)")
            #expect(r.stdout.contains("files from \(RunPlanPath.of(out)) (no walk)"), "index \(i) walked again: \(r.stdout)")
        }
        let report = try run(try job("report").container)
        #expect(report.status == 0, "\(report.stderr)")
        let planned = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: RunPlanPath.of(out)))) as? [String: Any])
        let files = try #require(planned["files"] as? [[String: Any]])
        try Self.checkMerged(out, inputs: files.count)

        // The Slurm array script, three tasks in a loop, into another folder: the same DICOM bytes.
        let slurmOut = input.appendingPathComponent("slurm-results")
        let binary = try #require(CLI.executable)
        for task in 0..<3 {
            let r = try Tool.run("/bin/bash", [Self.deploy.appendingPathComponent("slurm-array.sh").path],
                                 environment: CLI.fixedClock.merging(["SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_COUNT": "3",
                                                                      "INPUT": input.appendingPathComponent("archive").path, "OUT": slurmOut.path,
                                                                      "CXR_EXPLAIN": binary]) { $1 })
            #expect(r.status == 0, "task \(task): \(r.stderr)")
            #expect(r.stdout.contains("shard \(task)/3"), "\(r.stdout)")
        }
        #expect(try CLI.run(["report", slurmOut.path]).status == 0)
        try Self.checkMerged(slurmOut, inputs: files.count)
        let k8s = Self.dicomOutputs(out), slurm = Self.dicomOutputs(slurmOut)
        #expect(!k8s.isEmpty && k8s.keys.sorted() == slurm.keys.sorted())
        #expect(k8s.allSatisfy { slurm[$0.key] == $0.value }, "4 shards and 3 shards write the same bytes")
    }

    @Test("a plan made for other inputs is not used")
    func planForOtherInputs() throws {
        let a = TestPaths.temporaryDirectory("plan-a"), b = TestPaths.temporaryDirectory("plan-b")
        try FileManager.default.copyItem(at: Self.demo.appendingPathComponent("study-web-pa"), to: a.appendingPathComponent("s"))
        try FileManager.default.copyItem(at: Self.demo.appendingPathComponent("study-web-ap"), to: b.appendingPathComponent("s"))
        let out = TestPaths.temporaryDirectory("plan-out")
        #expect(try CLI.run(["plan", a.path, "--out", out.path]).status == 0)
        let r = try CLI.run(["process", b.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 0 && r.stdout.contains("was made for other inputs; walking them instead"), "\(r.stdout)")
        #expect(r.stdout.contains("process: 3 files"), "\(r.stdout)")
    }
}

/// Where `plan` writes (Pipeline's `RunPlan.path`), spelled out so the test does not link the module.
enum RunPlanPath {
    static func of(_ out: URL) -> String { out.appendingPathComponent(".cxr-explain/plan.json").path }
}
