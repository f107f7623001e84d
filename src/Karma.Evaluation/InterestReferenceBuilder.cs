using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Evaluation.Systems;
using Karma.Search.Hybrid;
using Karma.Serving.Core.Monitoring;

namespace Karma.Evaluation;

/// <summary>
/// Builds a package's drift reference (<see cref="ManifestInterestReference"/>): the <see cref="InterestProfile"/> of the
/// validation requests' interests as the service computes them, and what the monitor shows when the test requests
/// are replayed through it — the drift figure of the model's own traffic, against which an alert threshold is set.
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

        var monitor = new InterestDriftMonitor(centroids, profile, halfLife, threshold: 1);
        double worst = 0;
        foreach (float[] interest in runner.Interests(EvaluationExample.From(data, split, split.Test)))
        {
            monitor.Observe(interest);
            var figures = monitor.Current();
            if (figures.Observed >= halfLife)
            {
                worst = Math.Max(worst, figures.Divergence);
            }
        }

        if (monitor.Current().Observed < halfLife)
        {
            worst = monitor.Current().Divergence; // fewer test requests than a half-life: the figure at the end
        }

        return profile.ToManifest("validation", InterestProfile.LeafNames(package.Attributes, package.Catalog.Categories), worst, halfLife);
    }
}
