using Google.Protobuf;
using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Evaluation;
using Karma.Export.Onnx;
using Karma.Export.Towers;
using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using Karma.Training.Pretrained;
using Karma.Training.Training;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Karma.Export.Packaging;

/// <summary>Settings of <see cref="ModelExporter.Export"/>.</summary>
public sealed record ExportOptions
{
    /// <summary>Align checkpoint.</summary>
    public required string CheckpointDir { get; init; }

    /// <summary>Package directory to write.</summary>
    public required string OutDir { get; init; }

    /// <summary>Data directory (default: the one the checkpoint was trained on).</summary>
    public string? DataDir { get; init; }

    /// <summary>Element type of the retrieval-embedding table.</summary>
    public VectorElementType EmbeddingType { get; init; } = VectorElementType.Float32;

    /// <summary>Samples compared between trainer and ONNX Runtime.</summary>
    public int ParitySamples { get; init; } = 256;

    /// <summary>Largest accepted absolute difference of any output.</summary>
    public double MaxAbsDiff { get; init; } = 1e-4;

    /// <summary>Smallest accepted share of samples whose top-10 agree.</summary>
    public double MinTop10Agreement { get; init; } = 0.99;

    /// <summary>Replace an existing package directory.</summary>
    public bool Force { get; init; }

    /// <summary>Pre-ranker settings (default: the ones the checkpoint was trained with).</summary>
    public PreRankConfig? PreRank { get; init; }

    /// <summary>
    /// The quality gate: the staged package is evaluated on the data's test requests through the Search path and
    /// written only if it passes (see <see cref="QualityGateConfig"/>). Default: the checkpoint's config's gate.
    /// </summary>
    public QualityGateConfig? Gate { get; init; }

    /// <summary>No evaluation and no gate (benchmark packages over catalogs without held-out requests); the manifest then has no quality section.</summary>
    public bool SkipGate { get; init; }

    /// <summary>Write the package even when the gate fails; the manifest records that it was forced.</summary>
    public bool ForceGate { get; init; }
}

/// <summary>What an export wrote; <paramref name="Quality"/> is the gate's evaluation (null without a gate).</summary>
public sealed record ExportResult(string OutDir, ModelManifest Manifest, IReadOnlyList<ParityResult> Parity, long Bytes, PreRankFit PreRank,
    QualityResult? Quality = null);

/// <summary>
/// Turns an align checkpoint into a model package: builds the user and item tower graphs from the trained weights,
/// computes the item tables with the exported item tower and the BM25 index over the items' text, trains the
/// query-aware pre-ranker on the candidates those tables recall for held-out requests, checks every graph against
/// the trainer, and only then completes the package (written in a staging directory renamed into place, so a failed
/// export leaves nothing behind).
/// </summary>
public static class ModelExporter
{
    private const int Chunk = 1024;

    /// <summary>Examples the decoder's parity is checked on (each costs a V-wide logit row per position compared).</summary>
    private const int DecoderParitySamples = 64;

    /// <summary>Exports; throws <see cref="ParityException"/> when a graph disagrees with the trainer.</summary>
    public static ExportResult Export(ExportOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        log ??= Console.Error;
        PackageStage.CheckTarget(options.OutDir, options.Force);

        var (info, model, tokenizer) = Checkpoint.Load(options.CheckpointDir);
        using var modelScope = model;
        if (info.Stage != "align")
        {
            throw new InvalidDataException($"{options.CheckpointDir} is a '{info.Stage}' checkpoint; export needs an align checkpoint");
        }

        model.eval();
        string dataDir = options.DataDir ?? info.Data ?? throw new InvalidDataException("no data directory given and the checkpoint names none");
        var data = SearchLog.Load(dataDir);
        var split = TemporalSplit.Build(data, info.Model.MaxHistory);
        using var text = TextInputs.For(info.Model, data, dataDir, log);
        using var items = ItemFeatures.Build(data.Items, tokenizer, info.Model, text?.Items);
        var builder = new AlignBatchBuilder(items, tokenizer, info.Model, hardNegatives: 0, text: text);

        log.WriteLine($"[export] building graphs for {options.CheckpointDir} ({info.Objective}, {data.Items.Count} items)");
        byte[] userBytes = TowerGraphs.UserTower(model).ToByteArray();
        byte[] itemBytes = TowerGraphs.ItemTower(model).ToByteArray();
        byte[] decoderBytes = TowerGraphs.Decoder(model).ToByteArray();
        using var decoderGraph = new OrtGraph(decoderBytes);
        using var userGraph = new OrtGraph(userBytes);
        using var itemGraph = new OrtGraph(itemBytes);

        var parity = new List<ParityResult>();
        var (ortHistory, ortEmbeddings, itemParity) = ItemTables(model, items, itemGraph, info.Model, log);
        parity.Add(itemParity);
        parity.AddRange(UserParity(model, items, builder, ParitySamples(split, options.ParitySamples), ortHistory, ortEmbeddings,
            userGraph, info.Model, options.EmbeddingType));
        parity.Add(DecoderParity(model, items, builder, ParitySamples(split, Math.Min(options.ParitySamples, DecoderParitySamples)), decoderGraph));
        Refuse(parity, options, log);

        using var stage = PackageStage.Create(options.OutDir);
        stage.WriteDecoder(decoderBytes);
        stage.WriteTowersAndTables(userBytes, itemBytes, tokenizer, data, split, ortHistory, info.Model.DModel, ortEmbeddings,
            info.Model.EmbedDim, options.EmbeddingType, log);
        var preRank = PreRankStage.Train(stage, PreRankStage.TrainerInterest(model, items, builder), data, split, options.PreRank ?? info.Training.PreRank, info.Seed, log);
        parity.Add(preRank.Parity);
        Refuse([preRank.Parity], options, log);
        stage.WritePreRank(preRank.Graph);

        var manifest = PackageManifestBuilder.Build(stage, info, data, options, preRank, parity);
        QualityResult? quality = null;
        if (!options.SkipGate && (options.Gate ?? info.Training.Gate) is { } gate)
        {
            (manifest, quality) = PackageGate.Judge(stage, manifest, dataDir, gate, options.ForceGate, info.Seed, log);
        }

        long bytes = stage.Commit(manifest);
        log.WriteLine($"[export] wrote {options.OutDir}: {bytes / 1024.0 / 1024.0:F2} MiB, model version {manifest.ModelVersion}");
        return new ExportResult(Path.GetFullPath(options.OutDir), manifest, parity, bytes, preRank.Fit, quality);
    }

    /// <summary>Logs each parity figure and throws when one is out of bounds: nothing is written then.</summary>
    private static void Refuse(IEnumerable<ParityResult> parity, ExportOptions options, TextWriter log)
    {
        var results = parity.ToList();
        foreach (var p in results)
        {
            log.WriteLine($"[export] parity {p.Graph}: {p.Samples} samples, max |diff| {p.MaxAbsDiff:E2}" +
                (p.Top10Agreement is { } a ? $", top-10 agreement {a:P2}" : string.Empty));
        }

        var failures = results.Where(p => !p.Informational).Where(p => p.MaxAbsDiff > options.MaxAbsDiff || double.IsNaN(p.MaxAbsDiff)
            || (p.Top10Agreement is { } a && a < options.MinTop10Agreement)).ToList();
        if (failures.Count > 0)
        {
            throw new ParityException("parity check failed, nothing written: " + string.Join("; ", failures.Select(f =>
                $"{f.Graph} max |diff| {f.MaxAbsDiff:E2} (limit {options.MaxAbsDiff:E0})" +
                (f.Top10Agreement is { } a ? $", top-10 agreement {a:P2} (minimum {options.MinTop10Agreement:P0})" : string.Empty))));
        }
    }

    private static List<InteractionExample> ParitySamples(TemporalSplit split, int count)
        => split.Test.Concat(split.Validation).Concat(split.Train).Take(count).ToList();

    /// <summary>Item tower over the catalog with ONNX Runtime, compared with the trainer's item encoder.</summary>
    private static (float[] History, float[] Embeddings, ParityResult Parity) ItemTables(KarmaModel model, ItemFeatures items,
        OrtGraph graph, ModelConfig config, TextWriter log)
    {
        int n = items.Count, d = config.DModel, dim = config.EmbedDim, l = config.MaxItemTokens;
        var history = new float[(long)n * d];
        var embeddings = new float[(long)n * dim];
        double maxDiff = 0;
        long[] allTokens = items.Tokens.data<long>().ToArray();
        long[] allMask = items.Mask.data<long>().ToArray();
        float[]? allImage = items.Image?.data<float>().ToArray();
        long[] allBucket = items.IdBucket.data<long>().ToArray();
        float[]? allText = items.TextEmbedding?.data<float>().ToArray();
        using var noGrad = no_grad();
        for (int start = 0; start < n; start += Chunk)
        {
            int m = Math.Min(Chunk, n - start);
            var inputs = new List<(string, OrtValue)>
            {
                (TowerNames.ItemTextIds, OrtGraph.Tensor(allTokens[(start * l)..((start + m) * l)], m, l)),
                (TowerNames.ItemTextMask, OrtGraph.Tensor(allMask[(start * l)..((start + m) * l)].Select(x => (float)x).ToArray(), m, l)),
            };
            if (allText is not null)
            {
                inputs.Add((TowerNames.ItemTextEmbedding, OrtGraph.Tensor(allText[(start * config.TextDim)..((start + m) * config.TextDim)], m, config.TextDim)));
            }

            if (config.ImageDim > 0)
            {
                inputs.Add((TowerNames.ItemImage, OrtGraph.Tensor(allImage![(start * config.ImageDim)..((start + m) * config.ImageDim)], m, config.ImageDim)));
            }

            if (config.IdBuckets > 0)
            {
                inputs.Add((TowerNames.ItemIdBucket, OrtGraph.Tensor(allBucket[start..(start + m)], m)));
            }

            float[][] outs;
            try
            {
                outs = graph.Run(inputs, TowerNames.HistoryToken, TowerNames.Embedding);
            }
            finally
            {
                inputs.ForEach(i => i.Item2.Dispose());
            }

            Array.Copy(outs[0], 0, history, (long)start * d, outs[0].Length);
            Array.Copy(outs[1], 0, embeddings, (long)start * dim, outs[1].Length);
            using var scope = NewDisposeScope();
            var (th, te) = model.EncodeItems(items.Gather(arange(start, start + m, dtype: int64)));
            maxDiff = Math.Max(maxDiff, MaxAbsDiff(th.data<float>(), outs[0]));
            maxDiff = Math.Max(maxDiff, MaxAbsDiff(te.data<float>(), outs[1]));
        }

        log.WriteLine($"[export] item tables computed with the exported item tower: {n} items");
        return (history, embeddings, new ParityResult(PackageRoles.ItemTower, n, maxDiff, null));
    }

    /// <summary>User tower with ONNX Runtime (history tokens from the exported table) against the trainer, and the top-10 agreement of both.</summary>
    private static List<ParityResult> UserParity(KarmaModel model, ItemFeatures items, AlignBatchBuilder builder,
        List<InteractionExample> samples, float[] ortHistory, float[] ortEmbeddings, OrtGraph userGraph, ModelConfig config,
        VectorElementType storedType)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var results = new List<ParityResult>(2);
        int b = samples.Count, d = config.DModel, dim = config.EmbedDim;
        using var batch = builder.Build(samples, withGen: false, rng: null);
        var (hist, _) = model.EncodeItems(items.Gather(batch.UniqueItems));
        var (_, torchInterest) = model.EncodeSequence(batch.Tokens, batch.HistorySlot, hist, batch.InterestPosition,
            queryEmbedding: batch.QueryEmbedding);

        // ONNX path as the service runs it: history tokens gathered from the exported item table.
        long t = batch.Tokens.shape[1];
        long[] ids = batch.Tokens.data<long>().ToArray();
        long[] slots = batch.HistorySlot.data<long>().ToArray();
        long[] unique = batch.UniqueItems.data<long>().ToArray();
        var historyTokens = new float[b * t * d];
        for (long i = 0; i < slots.Length; i++)
        {
            if (slots[i] > 0)
            {
                Array.Copy(ortHistory, unique[slots[i] - 1] * d, historyTokens, i * d, d);
            }
        }

        float[] ortInterest;
        var inputs = new List<(string, OrtValue)>
        {
            (TowerNames.InputIds, OrtGraph.Tensor(ids, b, t)),
            (TowerNames.HistoryTokens, OrtGraph.Tensor(historyTokens, b, t, d)),
            (TowerNames.InterestPosition, OrtGraph.Tensor(batch.InterestPosition.data<long>().ToArray(), b)),
        };
        if (batch.QueryEmbedding is not null)
        {
            inputs.Add((TowerNames.QueryEmbedding, OrtGraph.Tensor(batch.QueryEmbedding.data<float>().ToArray(), b, config.TextDim)));
        }

        try
        {
            ortInterest = userGraph.Run(inputs, TowerNames.Interest)[0];
        }
        finally
        {
            inputs.ForEach(i => i.Item2.Dispose());
        }

        float[] torchInterestData = torchInterest.data<float>().ToArray();
        var torchCatalog = Karma.Training.Evaluation.Encoding.EncodeCatalog(model, items);
        float[] torchTable = torchCatalog.data<float>().ToArray();
        int agree = 0;
        for (int i = 0; i < b; i++)
        {
            var a = TopK(torchInterestData.AsSpan(i * dim, dim), torchTable, dim, 10);
            var o = TopK(ortInterest.AsSpan(i * dim, dim), ortEmbeddings, dim, 10);
            agree += a.SetEquals(o) ? 1 : 0;
        }

        results.Add(new ParityResult(PackageRoles.UserTower, b, MaxAbsDiff(torchInterestData, ortInterest), agree / (double)b));
        if (storedType == VectorElementType.Float16)
        {
            // The graphs are judged on the f32 table above; what half precision does to the ranking is reported, not gated:
            // near-ties legitimately swap places.
            float[] half = ortEmbeddings.Select(x => (float)(Half)x).ToArray();
            int agreeHalf = 0;
            for (int i = 0; i < b; i++)
            {
                var a = TopK(torchInterestData.AsSpan(i * dim, dim), torchTable, dim, 10);
                agreeHalf += a.SetEquals(TopK(ortInterest.AsSpan(i * dim, dim), half, dim, 10)) ? 1 : 0;
            }

            results.Add(new ParityResult("user_tower_f16_table", b, MaxAbsDiff(torchInterestData, ortInterest), agreeHalf / (double)b, Informational: true));
        }

        return results;
    }

    /// <summary>
    /// The decoder graph against the trainer's L_rec pass over the same interests and target texts: next-token logits
    /// after the prefix alone and after the whole (padded) text.
    /// </summary>
    private static ParityResult DecoderParity(KarmaModel model, ItemFeatures items, AlignBatchBuilder builder, List<InteractionExample> samples, OrtGraph graph)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var batch = builder.Build(samples, withGen: false, rng: null);
        var (hist, _) = model.EncodeItems(items.Gather(batch.UniqueItems));
        var (_, interest) = model.EncodeSequence(batch.Tokens, batch.HistorySlot, hist, batch.InterestPosition, queryEmbedding: batch.QueryEmbedding);
        var logits = model.ReconstructLogits(interest, batch.TargetText); // [B, L+1, V]
        int b = samples.Count, l = (int)batch.TargetText.shape[1], dim = (int)interest.shape[1];
        float[] interestData = interest.data<float>().ToArray();
        long[] text = batch.TargetText.data<long>().ToArray();
        double maxDiff = 0;
        foreach (int length in new[] { 0, l })
        {
            // Column 0 is the placeholder the graph replaces with the prefix token.
            var ids = new long[b * (length + 1)];
            for (int i = 0; i < b; i++)
            {
                Array.Copy(text, i * l, ids, i * (length + 1) + 1, length);
            }

            float[] ort;
            using (var interestValue = OrtGraph.Tensor(interestData, b, dim))
            using (var idsValue = OrtGraph.Tensor(ids, b, length + 1))
            {
                ort = graph.Run([(TowerNames.Interest, interestValue), (TowerNames.DecoderIds, idsValue)], TowerNames.NextTokenLogits)[0];
            }

            maxDiff = Math.Max(maxDiff, MaxAbsDiff(logits.select(1, length).contiguous().data<float>().ToArray(), ort));
        }

        return new ParityResult(PackageRoles.Decoder, b, maxDiff, null);
    }

    private static HashSet<int> TopK(ReadOnlySpan<float> query, float[] table, int dim, int k)
    {
        int n = table.Length / dim;
        var scores = new float[n];
        for (int i = 0; i < n; i++)
        {
            scores[i] = System.Numerics.Tensors.TensorPrimitives.Dot(query, table.AsSpan(i * dim, dim));
        }

        return Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToHashSet();
    }

    private static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            return double.PositiveInfinity;
        }

        double m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(diff))
            {
                return double.NaN;
            }

            m = Math.Max(m, diff);
        }

        return m;
    }

    private static double MaxAbsDiff(TorchSharp.Utils.TensorAccessor<float> a, float[] b) => MaxAbsDiff(a.ToArray(), b);
}
