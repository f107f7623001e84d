using Google.Protobuf;
using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Export.Onnx;
using Karma.Export.Towers;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using Karma.Training.Training;
using static TorchSharp.torch;

namespace Karma.Export.Packaging;

/// <summary>The trained pre-ranker of an export: its graph, how it was fitted and its parity with the trainer.</summary>
internal sealed record PreRankOutcome(byte[] Graph, FeatureSet Features, ChannelQuotas Quotas, int RecallK, PreRankFit Fit,
    ParityResult Parity, string Source);

/// <summary>
/// Trains the query-aware pre-ranker on a staged package: the staged item-embedding table and lexical index recall
/// candidates for held-out requests exactly as Search will (Karma.Search's fusion and features), the trainer fits the
/// pre-ranker on them, and its graph is checked against the trainer on real candidate features.
/// </summary>
internal static class PreRankStage
{
    /// <summary>Fewest validation requests to train on before training requests are added (tiny data sets).</summary>
    private const int MinValidation = 200;

    /// <summary>Requests whose full candidate sets are compared between the trainer and ONNX Runtime.</summary>
    private const int ParityRequests = 16;

    /// <param name="stage">The staged package (tables and lexical index written).</param>
    /// <param name="interest">The interest embeddings [examples × D] of requests, as the served user tower computes them.</param>
    /// <param name="data">The data set.</param>
    /// <param name="split">Its split.</param>
    /// <param name="config">Pre-ranker settings.</param>
    /// <param name="seed">Sampling and training seed.</param>
    /// <param name="log">Progress.</param>
    public static PreRankOutcome Train(PackageStage stage, Func<List<InteractionExample>, float[]> interest,
        SearchLog data, TemporalSplit split, PreRankConfig config, int seed, TextWriter log)
    {
        using var embeddings = VectorTable.Open(stage.PathOf(PackageStage.EmbeddingsFile));
        using var statistics = VectorTable.Open(stage.PathOf(PackageStage.ItemStatisticsFile));
        var attributes = new ItemAttributes(data.Items.Select(i => i.Category).ToList(), statistics.AsSpan());
        using var lexical = LexicalIndexFile.Open(stage.PathOf(PackageStage.LexicalFile), data.Items.Count);
        var quotas = new ChannelQuotas(config.KarmaShare, config.LexicalShare, config.CategoryShare);
        quotas.Validate();
        // One [N, D] tensor of the table for the exact top-k, the trainer and the parity check (256 MB at 1M items).
        using var table = PreRankTrainer.TableTensor(embeddings);
        var source = new CandidateSource(embeddings, table, attributes, lexical, new LeafCentroids(embeddings, attributes), FeatureSet.All, quotas,
            config.RecallK);

        var (examples, origin) = Examples(split, config, seed);
        var holdoutUsers = new HashSet<int>(examples.Select(e => e.User).Distinct().OrderBy(u => Mix(u, seed))
            .Take((int)Math.Round(config.HoldoutShare * examples.Select(e => e.User).Distinct().Count())));
        // A share of the training requests loses its history, as the requests of new or logged-out users do.
        var trainExamples = examples.Where(e => !holdoutUsers.Contains(e.User))
            .Select(e => e.Query is { Length: > 0 } && e.History.Length > 0 && Mix(e.Request, seed + 2) % 1000 < config.NoHistoryShare * 1000
                ? e with { History = [] }
                : e)
            .ToList();
        var holdoutExamples = examples.Where(e => holdoutUsers.Contains(e.User)).ToList();
        log.WriteLine($"[export] pre-ranker: recalling candidates for {trainExamples.Count} + {holdoutExamples.Count} held-out {origin} " +
            $"(recall_k {config.RecallK}, shares karma {quotas.Karma:F2}, lexical {quotas.Lexical:F2}, category {quotas.Category:F2})");
        var train = PreRankExamples.Build(source, trainExamples, trainExamples.Count == 0 ? [] : interest(trainExamples), config.Negatives, seed);
        var holdout = PreRankExamples.Build(source, holdoutExamples, holdoutExamples.Count == 0 ? [] : interest(holdoutExamples), 0, seed);
        var (ranker, fit) = PreRankTrainer.Train(config, train, holdout, table, seed, log);
        using (ranker)
        {
            byte[] graph = TowerGraphs.PreRank(ranker).ToByteArray();
            var parity = Parity(ranker, graph, holdout.Rows.Count > 0 ? holdout : train, embeddings, table);
            return new PreRankOutcome(graph, FeatureSet.All, quotas, config.RecallK, fit, parity, origin);
        }
    }

    /// <summary>
    /// The validation requests (each user's second-to-last engaged request; the user tower never trained on them), at
    /// most <see cref="PreRankConfig.MaxExamples"/>. Data sets too small to have enough of them also use training requests.
    /// </summary>
    private static (List<InteractionExample> Examples, string Origin) Examples(TemporalSplit split, PreRankConfig config, int seed)
    {
        var chosen = split.Validation.OrderBy(e => Mix(e.User, seed)).Take(config.MaxExamples).ToList();
        if (chosen.Count >= MinValidation)
        {
            return (chosen, "validation requests");
        }

        // Training requests' own engagements are in the popularity and exposure counts: acceptable for tiny data sets
        // (tests, smoke runs), said in the origin recorded in the manifest.
        chosen.AddRange(split.Train.OrderBy(e => Mix(e.User, seed + 1)).Take(config.MaxExamples - chosen.Count));
        return (chosen, "validation and training requests (too few validation requests; the training requests' own clicks are in the popularity counts)");
    }

    /// <summary>Interests of requests from the trainer's model (an export, before its graph exists).</summary>
    public static Func<List<InteractionExample>, float[]> TrainerInterest(KarmaModel model, ItemFeatures items, AlignBatchBuilder builder)
        => examples =>
        {
            using var interest = Karma.Training.Evaluation.Encoding.EncodeUsers(model, items, builder, examples);
            return interest.data<float>().ToArray();
        };

    /// <summary>Trainer and ONNX Runtime scores of whole candidate sets, features as the service computes them.</summary>
    private static ParityResult Parity(PreRanker ranker, byte[] graph, PreRankExamples data, VectorTable embeddings, Tensor table)
    {
        using var session = new OrtGraph(graph);
        int d = data.Dimensions, f = data.FeatureCount;
        double maxDiff = 0;
        int samples = 0;
        foreach (var row in data.Rows.Take(ParityRequests))
        {
            float[] torchScores = PreRankTrainer.Score(ranker, row.Interest, row.Candidates, row.Features, table);
            int c = row.Candidates.Length;
            var candidates = new float[c * d];
            embeddings.Gather(row.Candidates, candidates);
            using var u = OrtGraph.Tensor(row.Interest, 1, d);
            using var e = OrtGraph.Tensor(candidates, 1, c, d);
            using var x = OrtGraph.Tensor(row.Features, 1, c, f);
            float[] ortScores = session.Run([(TowerNames.User, u), (TowerNames.Candidates, e), (TowerNames.Features, x)], TowerNames.Scores)[0];
            for (int i = 0; i < c; i++)
            {
                double diff = Math.Abs(torchScores[i] - ortScores[i]);
                maxDiff = double.IsNaN(diff) ? double.NaN : Math.Max(maxDiff, diff);
            }

            samples += c;
        }

        return new ParityResult(PackageRoles.PreRank, samples, maxDiff, null);
    }

    /// <summary>A seeded hash for deterministic, user-level sampling.</summary>
    private static ulong Mix(int value, int seed)
    {
        ulong z = ((ulong)(uint)value << 32 | (uint)seed) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
