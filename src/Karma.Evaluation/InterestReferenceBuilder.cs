using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Evaluation.Systems;
using Karma.Search.Hybrid;
using Karma.Serving.Core.Monitoring;

namespace Karma.Evaluation;

/// <summary>What the drift monitor showed while a split's requests were replayed through it.</summary>
/// <param name="Requests">Requests replayed (those with anything the package can encode).</param>
/// <param name="Peak">Largest divergence after the first half-life (the final one when fewer requests were replayed).</param>
/// <param name="Final">Divergence at the end.</param>
/// <param name="AlertingShare">Share of the requests after the first half-life at which the monitor was alerting.</param>
public sealed record DriftReplayResult(int Requests, double Peak, double Final, double AlertingShare);

/// <summary>
/// Builds a package's drift reference (<see cref="ManifestInterestReference"/>): the <see cref="InterestProfile"/> of the
/// validation requests' interests as the service computes them, and what the monitor shows when the test requests
/// are replayed through it — the drift figure of the model's own traffic, against which an alert threshold is set.
/// <see cref="Replay"/> does the same for any data (another domain's requests: <c>karma drift</c>).
/// </summary>
public static class InterestReferenceBuilder
{
    /// <summary>The monitor's half-life the replay uses (the service's default).</summary>
    public const int DefaultHalfLife = 1000;

    /// <summary>Profiles the package's validation requests and replays its test requests.</summary>
    public static ManifestInterestReference Build(string packageDir, string dataDir, int halfLife = DefaultHalfLife)
    {
        var data = SearchLog.Load(dataDir);
        using var runner = new PackageRunner(packageDir, data);
        var split = TemporalSplit.Build(data, runner.MaxHistory);
        var package = runner.Package;
        var centroids = new LeafCentroids(package.Embeddings, package.Attributes);
        var profile = InterestProfile.Of(runner.Interests(EvaluationExample.From(data, split, split.Validation)), centroids);
        if (profile.Requests == 0)
        {
            throw new InvalidDataException($"{dataDir}: no validation request could be encoded; the drift reference needs some");
        }

        var own = Replay(runner.Interests(EvaluationExample.From(data, split, split.Test)), new InterestDriftMonitor(centroids, profile, halfLife, threshold: 1));
        return profile.ToManifest("validation", InterestProfile.LeafNames(package.Attributes, package.Catalog.Categories), own.Peak, halfLife);
    }

    /// <summary>
    /// Replays <paramref name="dataDir"/>'s test requests (history ids looked up in the package's catalog by id, as the
    /// service does) through a monitor against the package's own reference.
    /// </summary>
    public static DriftReplayResult Replay(string packageDir, string dataDir, int halfLife, double threshold)
    {
        var data = SearchLog.Load(dataDir);
        using var runner = new PackageRunner(packageDir, data);
        var package = runner.Package;
        var reference = package.Manifest.InterestReference
            ?? throw new InvalidDataException($"{packageDir}: the package has no drift reference (exported with --no-gate, or before the drift monitor existed)");
        var centroids = new LeafCentroids(package.Embeddings, package.Attributes);
        var profile = InterestProfile.FromManifest(reference, InterestProfile.LeafNames(package.Attributes, package.Catalog.Categories));
        var split = TemporalSplit.Build(data, runner.MaxHistory);
        return Replay(runner.Interests(EvaluationExample.From(data, split, split.Test)), new InterestDriftMonitor(centroids, profile, halfLife, threshold));
    }

    private static DriftReplayResult Replay(List<float[]> interests, InterestDriftMonitor monitor)
    {
        double peak = 0;
        int counted = 0, alerting = 0;
        foreach (float[] interest in interests)
        {
            monitor.Observe(interest);
            var figures = monitor.Current();
            if (figures.Observed >= monitor.HalfLife)
            {
                peak = Math.Max(peak, figures.Divergence);
                counted++;
                alerting += figures.Alerting ? 1 : 0;
            }
        }

        var end = monitor.Current();
        return new DriftReplayResult(interests.Count, counted == 0 ? end.Divergence : peak, end.Divergence, counted == 0 ? 0 : alerting / (double)counted);
    }
}
