using Karma.Core.Package;
using Karma.Evaluation;
using Karma.Training.Configuration;

namespace Karma.Export.Packaging;

/// <summary>The quality gate on a staged package, shared by <c>karma export</c> and <c>karma package import</c>.</summary>
internal static class PackageGate
{
    /// <summary>
    /// Evaluates the staged package (its manifest written provisionally, so it loads as the service would load it)
    /// and applies the gate; throws <see cref="QualityGateException"/> unless it passes or is forced.
    /// </summary>
    public static (ModelManifest Manifest, QualityResult Quality) Judge(PackageStage stage, ModelManifest manifest, string dataDir,
        QualityGateConfig gate, bool force, int seed, TextWriter log, string tag = "export")
    {
        manifest.Write(stage.Directory);
        log.WriteLine($"[{tag}] quality gate: evaluating the Search path on the test requests");
        var quality = QualityEvaluator.Run(new QualityOptions { PackageDir = stage.Directory, DataDir = dataDir, Seed = seed }, log);
        var verdict = QualityGate.Judge(quality.Report, manifest.Metrics, gate, force);
        foreach (var check in verdict.Gate.Checks)
        {
            log.WriteLine($"[{tag}] {(check.Passed ? "pass" : "FAIL")}  {check.Name}: {check.Detail}");
        }

        log.WriteLine($"[{tag}] {verdict.Gate.Summary}");
        if (!verdict.Gate.Passed && !force)
        {
            throw new QualityGateException(verdict.Gate);
        }

        var reference = InterestReferenceBuilder.Build(stage.Directory, dataDir);
        log.WriteLine($"[{tag}] drift reference: {reference.Requests} validation requests; replaying the test requests, the monitor's divergence peaked at {reference.TestDivergence:F4}");
        return (manifest with { Quality = verdict, InterestReference = reference }, quality);
    }

}
