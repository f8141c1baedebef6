import Preprocess

/// Instance Numbers of derived objects. Each kind of derived object has one series per study (a fixed Series
/// Number per kind), while the sources come from several series whose Instance Numbers repeat (every series
/// starts at 1). The source's series and instance numbers together name it within the study, so the derived
/// number is series × 10000 + instance: unique within the derived series when the study's series numbers are
/// unique and each series holds fewer than 10000 images, and the same on every run.
public enum DerivedNumbering {
    public static func instanceNumber(of source: DICOMFile) -> Int {
        let series = Int(source.text("SeriesNumber") ?? "").map { max(0, min($0, 99_999)) } ?? 0
        let instance = Int(source.text("InstanceNumber") ?? "").map { max(0, min($0, 9_999)) } ?? 1
        return series * 10_000 + instance
    }
}
