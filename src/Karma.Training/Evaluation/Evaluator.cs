using System.Diagnostics;
using Karma.Core.Data;
using Karma.Core.Evaluation;
using Karma.Training.Batching;
using Karma.Training.Pretrained;
using Karma.Training.Training;
using static TorchSharp.torch;

namespace Karma.Training.Evaluation;

/// <summary>Settings of <see cref="Evaluator.Run"/>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Training examples the semantic probe is fitted on.</summary>
    public int ProbeExamples { get; init; } = 2000;

    /// <summary>Test sequences whose attention maps feed the sink diagnostic.</summary>
    public int AttentionExamples { get; init; } = 256;

    /// <summary>Seed of the semantic probe.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Offline evaluation of an align checkpoint on the leave-last-out test split, by the embedding alone: recall of
/// h_t · e over the full item table (warm and cold targets), semantic fidelity and attention sinks. The Search path
/// (hybrid recall and the pre-ranker) is evaluated on an exported package, against the lexical baselines.
/// </summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="checkpointDir"/> on <paramref name="dataDir"/>.</summary>
    public static EvaluationReport Run(string checkpointDir, string dataDir, EvaluationOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        log ??= Console.Error;
        var clock = Stopwatch.StartNew();
        var (info, model, tokenizer) = Checkpoint.Load(checkpointDir);
        using var modelScope = model;
        model.eval();
        var data = SearchLog.Load(dataDir);
        var split = TemporalSplit.Build(data, info.Model.MaxHistory);
        if (split.Test.Count == 0)
        {
            throw new InvalidDataException($"{dataDir}: no test examples (every user needs at least two engagements)");
        }

        using var text = TextInputs.For(info.Model, data, dataDir, log);
        using var items = ItemFeatures.Build(data.Items, tokenizer, info.Model, text?.Items);
        var builder = new AlignBatchBuilder(items, tokenizer, info.Model, hardNegatives: 0, text: text);
        log.WriteLine($"[eval] {checkpointDir}: {split.Test.Count} test users over {data.Items.Count} items");
        using var catalog = Encoding.EncodeCatalog(model, items);
        var attention = new List<Tensor>();
        using var testInterest = Encoding.EncodeUsers(model, items, builder, split.Test, attention: attention,
            attentionLimit: options.AttentionExamples);
        log.WriteLine($"[eval] encoded catalog and test users ({clock.Elapsed.TotalSeconds:F1} s)");
        var sinks = AttentionSinks.Compute(attention, info.Model.NLayers);
        AttentionMapPlot.Save(attention, info.Model.NLayers, Path.Combine(checkpointDir, AttentionMapPlot.FileName),
            $"{info.Objective}{(info.Model.HasTextEncoder ? " + " + info.Model.TextEncoder : string.Empty)}: last-layer attention (head mean)");
        attention.ForEach(t => t.Dispose());

        var ranks = Ranks(testInterest, catalog, split.Test);
        var popularity = split.TrainClicks.Select(c => (float)c).ToArray();
        var popRanks = split.Test.Select(ex => RankingMetrics.RankOf(popularity, ex.Target)).ToArray();
        var modelMetrics = Split(ranks, split);
        var popMetrics = Split(popRanks, split);

        var rng = new Random(options.Seed);
        var probeTrain = split.Train.OrderBy(_ => rng.Next()).Take(options.ProbeExamples).ToList();
        using var probeInterest = Encoding.EncodeUsers(model, items, builder, probeTrain);
        double fidelity = SemanticProbe.Fidelity(probeInterest, probeTrain.Select(e => items.TextTokens[e.Target]).ToList(),
            testInterest, split.Test.Select(e => items.TextTokens[e.Target]).ToList(), info.Model.VocabSize, options.Seed);

        log.WriteLine($"[eval] recall, sinks and semantic probe done ({clock.Elapsed.TotalSeconds:F1} s)");
        return new EvaluationReport
        {
            Checkpoint = checkpointDir,
            Objective = info.Objective,
            Items = data.Items.Count,
            Model = modelMetrics,
            Popularity = popMetrics,
            SemanticFidelity50 = fidelity,
            AttentionSinks = sinks,
            WeightsSha256 = info.WeightsSha256,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    private static int[] Ranks(Tensor interest, Tensor catalog, IReadOnlyList<InteractionExample> examples)
    {
        var ranks = new int[examples.Count];
        using var noGrad = no_grad();
        const int chunk = 256;
        for (int start = 0; start < examples.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(chunk, examples.Count - start);
            var scores = interest.narrow(0, start, n).matmul(catalog.t());
            float[] flat = scores.data<float>().ToArray();
            int width = (int)catalog.shape[0];
            for (int i = 0; i < n; i++)
            {
                ranks[start + i] = RankingMetrics.RankOf(flat.AsSpan(i * width, width), examples[start + i].Target);
            }
        }

        return ranks;
    }

    private static SplitMetrics Split(int[] ranks, TemporalSplit split)
    {
        var warm = new List<int>();
        var cold = new List<int>();
        for (int i = 0; i < ranks.Length; i++)
        {
            (split.IsCold(split.Test[i].Target) ? cold : warm).Add(ranks[i]);
        }

        return new SplitMetrics(RetrievalMetrics.FromRanks(ranks), RetrievalMetrics.FromRanks(warm), RetrievalMetrics.FromRanks(cold));
    }
}
