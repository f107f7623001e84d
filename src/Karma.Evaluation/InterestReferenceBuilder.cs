using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Evaluation.Systems;
using Karma.Serving.Core.Monitoring;

namespace Karma.Evaluation;

/// <summary>What the drift monitor showed while a split's requests were replayed through it.</summary>
/// <param name="Requests">Requests replayed (those with anything the package can encode).</param>
/// <param name="Peak">Largest divergence after the first half-life (the final one when fewer requests were replayed).</param>
/// <param name="Final">Divergence at the end.</param>
/// <param name="AlertingShare">Share of the requests after the first half-life at which the monitor was alerting.</param>
/// <param name="WordPeak">Largest divergence of the decoded words (one request in the sampling rate decoded), after a half-life; NaN without a decoder.</param>
/// <param name="WordFinal">Divergence of the decoded words at the end.</param>
public sealed record DriftReplayResult(int Requests, double Peak, double Final, double AlertingShare, double WordPeak = double.NaN, double WordFinal = double.NaN);

/// <summary>
/// Builds a package's drift reference (<see cref="ManifestInterestReference"/>): the <see cref="InterestProfile"/> of the
/// validation requests' interests as the service computes them, and what the monitor shows when the test requests
/// are replayed through it — the drift figure of the model's own traffic, against which an alert threshold is set.
/// <see cref="Replay(string, string, int, double)"/> does the same for any data (another domain's requests: <c>karma drift</c>).
/// </summary>
public static class InterestReferenceBuilder
{
    /// <summary>The monitor's half-life the replay uses (the service's default).</summary>
    public const int DefaultHalfLife = 1000;

    /// <summary>One request in this many is decoded for the word monitor (the service's default).</summary>
    public const int DefaultWordSampling = 20;

    /// <summary>Profiles the package's validation requests and replays its test requests.</summary>
    public static ManifestInterestReference Build(string packageDir, string dataDir, int halfLife = DefaultHalfLife)
    {
        var data = SearchLog.Load(dataDir);
        using var runner = new PackageRunner(packageDir, data);
        var split = TemporalSplit.Build(data, runner.MaxHistory);
        var package = runner.Package;
        var centroids = runner.Pipeline.Centroids;
        var validation = runner.Interests(EvaluationExample.From(data, split, split.Validation));
        var profile = InterestProfile.Of(validation, centroids);
        if (profile.Requests == 0)
        {
            throw new InvalidDataException($"{dataDir}: no validation request could be encoded; the drift reference needs some");
        }

        Dictionary<string, double>? words = null;
        if (package.Decoder is { } decoder)
        {
            var validationWords = new DecodedWordProfile();
            foreach (float[] interest in validation)
            {
                validationWords.Add(decoder.Decode(interest, package.Manifest.Limits.MaxItemTokens, DecodedWordProfile.PerRequest));
            }

            words = validationWords.Distribution();
        }

        var own = Replay(runner.Interests(EvaluationExample.From(data, split, split.Test)), new InterestDriftMonitor(centroids, profile, halfLife, threshold: 1),
            package, words, DefaultWordSampling);
        return profile.ToManifest("validation", InterestProfile.LeafNames(package.Attributes, package.Catalog.Categories), own.Peak, halfLife) with
        {
            Words = words, TestWordDivergence = words is null ? 0 : own.WordPeak, WordSampling = words is null ? 0 : DefaultWordSampling,
        };
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
        var centroids = runner.Pipeline.Centroids;
        var profile = InterestProfile.FromManifest(reference, InterestProfile.LeafNames(package.Attributes, package.Catalog.Categories));
        var split = TemporalSplit.Build(data, runner.MaxHistory);
        return Replay(runner.Interests(EvaluationExample.From(data, split, split.Test)), new InterestDriftMonitor(centroids, profile, halfLife, threshold),
            package, reference.Words, reference.WordSampling > 0 ? reference.WordSampling : DefaultWordSampling);
    }

    /// <summary>
    /// Feeds the interests to the monitor in order; with a decoder and a word reference, also decodes one in
    /// <paramref name="wordSampling"/> into a word profile with the matching half-life, as the service does.
    /// </summary>
    private static DriftReplayResult Replay(List<float[]> interests, InterestDriftMonitor monitor, Karma.Serving.Core.Model.ModelPackage package,
        IReadOnlyDictionary<string, double>? wordReference, int wordSampling)
    {
        double peak = 0, wordPeak = 0;
        int counted = 0, alerting = 0;
        int wordHalfLife = Math.Max(1, monitor.HalfLife / wordSampling);
        var words = package.Decoder is not null && wordReference is not null ? new DecodedWordProfile(1 - Math.Pow(0.5, 1.0 / wordHalfLife)) : null;
        for (int i = 0; i < interests.Count; i++)
        {
            monitor.Observe(interests[i]);
            if (words is not null && (i + 1) % wordSampling == 0)
            {
                words.Add(package.Decoder!.Decode(interests[i], package.Manifest.Limits.MaxItemTokens, DecodedWordProfile.PerRequest));
                if (words.Count >= wordHalfLife)
                {
                    wordPeak = Math.Max(wordPeak, DecodedWordProfile.Divergence(words.Distribution(), wordReference!));
                }
            }

            var figures = monitor.Current();
            if (figures.Observed >= monitor.HalfLife)
            {
                peak = Math.Max(peak, figures.Divergence);
                counted++;
                alerting += figures.Alerting ? 1 : 0;
            }
        }

        var end = monitor.Current();
        double wordFinal = words is null || words.Count == 0 ? double.NaN : DecodedWordProfile.Divergence(words.Distribution(), wordReference!);
        return new DriftReplayResult(interests.Count, counted == 0 ? end.Divergence : peak, end.Divergence, counted == 0 ? 0 : alerting / (double)counted,
            words is null ? double.NaN : words.Count >= wordHalfLife ? wordPeak : wordFinal, wordFinal);
    }
}
