using System.Globalization;
using Google.Protobuf;
using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Core.Vectors;
using Karma.Evaluation;
using Karma.Export.Onnx;
using Karma.Export.Towers;
using Karma.Search.Hybrid;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Model;
using Karma.Training.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Karma.Export.Packaging;

/// <summary>Settings of <see cref="PackageImporter.Import"/>: a model trained elsewhere, as files.</summary>
public sealed record ImportOptions
{
    /// <summary>The user tower, ONNX, with the contract's signature (docs/package-format.md).</summary>
    public required string UserTower { get; init; }

    /// <summary>Item retrieval embeddings [N, D] (.npy, .fvecs or .safetensors), rows in the order of the data's items.jsonl.</summary>
    public required string Embeddings { get; init; }

    /// <summary>The tensor to read from a safetensors file holding several.</summary>
    public string? EmbeddingsTensor { get; init; }

    /// <summary>History tokens [N, d] the user tower reads at [ITEM] slots (default: the embeddings, d = D).</summary>
    public string? HistoryTokens { get; init; }

    /// <summary>The tokenizer: a BERT WordPiece <c>vocab.txt</c>, or a <c>karma-bpe</c> <c>tokenizer.json</c>.</summary>
    public required string Tokenizer { get; init; }

    /// <summary>
    /// Vocabulary tokens at the layout's [BOS], [ITEM], [SEP] and [INT] slots (WordPiece only; default [CLS], [MASK],
    /// [SEP], [unused0]).
    /// </summary>
    public IReadOnlyList<string>? LayoutTokens { get; init; }

    /// <summary>Data in the documented format (items.jsonl, events.csv): catalog, BM25 text, popularity, the pre-ranker's requests and the gate's.</summary>
    public required string DataDir { get; init; }

    /// <summary>Package directory to write.</summary>
    public required string OutDir { get; init; }

    /// <summary>Most history items the service passes to the tower.</summary>
    public int MaxHistory { get; init; } = 20;

    /// <summary>Most query tokens the service passes to the tower.</summary>
    public int MaxQueryTokens { get; init; } = 16;

    /// <summary>A name for the model version (<c>import-NAME-…</c>).</summary>
    public string Name { get; init; } = "model";

    /// <summary>Pre-ranker training settings.</summary>
    public PreRankConfig PreRank { get; init; } = new();

    /// <summary>The quality gate (default: Search beats the best baseline on HR@50 and HR@200).</summary>
    public QualityGateConfig Gate { get; init; } = new();

    /// <summary>No evaluation and no gate.</summary>
    public bool SkipGate { get; init; }

    /// <summary>Write even when the gate fails (recorded in the manifest); also replaces an existing package.</summary>
    public bool Force { get; init; }

    /// <summary>Pre-ranker and evaluation seed.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// <c>karma package import</c>: builds a verified model package from towers trained elsewhere (PyTorch, JAX, …): the
/// user tower as ONNX, the item-embedding table, a standard tokenizer and data in the documented format. Checks the
/// tower's signature and runs it, writes the item tables and the BM25 index, trains the query-aware pre-ranker on the
/// Search path's candidates with the imported tower's own interests (as <c>karma export</c> does with ours), applies
/// the quality gate and the package verifier, and only then puts the package in place. There is no item tower and no
/// decoder: Explain answers FAILED_PRECONDITION for such a package.
/// </summary>
public static class PackageImporter
{
    /// <summary>Imports; throws <see cref="InvalidDataException"/> naming the file and the problem, or <see cref="QualityGateException"/>.</summary>
    public static ExportResult Import(ImportOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        log ??= Console.Error;
        PackageStage.CheckTarget(options.OutDir, options.Force);
        RequireFile(options.UserTower, "--user-tower");
        RequireFile(options.Tokenizer, "--tokenizer");

        var data = SearchLog.Load(options.DataDir);
        var split = TemporalSplit.Build(data, options.MaxHistory);
        int n = data.Items.Count;
        var embeddings = UnitRows(Rows(VectorFile.Read(options.Embeddings, options.EmbeddingsTensor), n, options.Embeddings), options.Embeddings, log);
        var history = options.HistoryTokens is null ? embeddings : Rows(VectorFile.Read(options.HistoryTokens), n, options.HistoryTokens);
        log.WriteLine($"[import] {n} items; embeddings [{n}, {embeddings.Cols}], history tokens [{n}, {history.Cols}]" +
            (options.HistoryTokens is null ? " (the embeddings)" : string.Empty));

        var (format, tokenizer, specialTokens) = ReadTokenizer(options);
        byte[] userTower = File.ReadAllBytes(options.UserTower);
        CheckUserTower(options.UserTower, userTower, embeddings.Cols, history.Cols);

        using var stage = PackageStage.Create(options.OutDir);
        File.WriteAllBytes(stage.PathOf(PackageStage.UserTowerFile), userTower);
        File.Copy(options.Tokenizer, stage.PathOf(format == WordPieceTokenizer.FormatId ? WordPieceTokenizer.FileName : BpeTokenizer.FileName));
        stage.WriteTables(data, split, history.Values, history.Cols, embeddings.Values, embeddings.Cols, VectorElementType.Float32, log);
        var features = FeatureSet.All;
        stage.WritePreRank(TowerGraphs.InnerProductPreRank(embeddings.Cols, features.Count).ToByteArray());

        var provisional = Manifest(stage, options, data, format, tokenizer.VocabSize, specialTokens, embeddings.Cols, history.Cols,
            features, new ChannelQuotas(options.PreRank.KarmaShare, options.PreRank.LexicalShare, options.PreRank.CategoryShare),
            options.PreRank.RecallK, "none yet", new Dictionary<string, double>());
        provisional.Write(stage.Directory);

        // The pre-ranker learns from the interests the service will compute: the staged package's own user tower, run by
        // the serving code (ids to rows, the tokenizer, the layout, the history-token table).
        PreRankOutcome preRank;
        using (var staged = ModelPackage.Load(stage.Directory, InferenceDevice.Cpu, NullLogger.Instance))
        {
            var encoder = new InterestEncoder(staged);
            float[] Interests(List<InteractionExample> examples) => [.. encoder.Encode(
                examples.Select(e => new UserContextInput(e.History.Select(h => data.Items[h].ItemId).ToList(), e.Query)).ToList(), out _)
                .SelectMany(v => v)];
            preRank = PreRankStage.Train(stage, Interests, data, split, options.PreRank, options.Seed, log);
        }

        log.WriteLine($"[import] parity {preRank.Parity.Graph}: {preRank.Parity.Samples} samples, max |diff| {preRank.Parity.MaxAbsDiff:E2}");
        if (!(preRank.Parity.MaxAbsDiff <= 1e-4))
        {
            throw new ParityException($"parity check failed, nothing written: prerank max |diff| {preRank.Parity.MaxAbsDiff:E2} (limit 1E-04)");
        }

        stage.WritePreRank(preRank.Graph);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["prerank_train_requests"] = preRank.Fit.TrainExamples,
            ["prerank_holdout_requests"] = preRank.Fit.HoldoutExamples,
            ["prerank_candidate_recall"] = preRank.Fit.CandidateRecall,
            ["prerank_holdout_search_hr50"] = preRank.Fit.HoldoutSearchHr50,
            ["prerank_holdout_search_hr200"] = preRank.Fit.HoldoutSearchHr200,
            ["parity_prerank_max_abs_diff"] = preRank.Parity.MaxAbsDiff,
        };
        var manifest = Manifest(stage, options, data, format, tokenizer.VocabSize, specialTokens, embeddings.Cols, history.Cols,
            preRank.Features, preRank.Quotas, preRank.RecallK, preRank.Source, metrics);
        QualityResult? quality = null;
        if (!options.SkipGate)
        {
            (manifest, quality) = PackageGate.Judge(stage, manifest, options.DataDir, options.Gate, options.Force, options.Seed, log, "import");
        }

        manifest.Write(stage.Directory);
        var report = PackageVerifier.Verify(stage.Directory);
        if (report.Problems.Count > 0)
        {
            throw new InvalidDataException("the imported package fails verification, nothing written: " + string.Join("; ", report.Problems));
        }

        long bytes = stage.Commit(manifest);
        log.WriteLine($"[import] wrote {options.OutDir}: {bytes / 1024.0 / 1024.0:F2} MiB, model version {manifest.ModelVersion}");
        return new ExportResult(Path.GetFullPath(options.OutDir), manifest, [preRank.Parity], bytes, preRank.Fit, quality);
    }

    private static void RequireFile(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{option} {path}: no such file", path);
        }
    }

    /// <summary>The table must have one row per item, every value finite.</summary>
    private static VectorMatrix Rows(VectorMatrix m, int items, string path)
    {
        if (m.Rows != items)
        {
            throw new InvalidDataException($"{path}: {m.Rows} rows, the data has {items} items (one row per line of items.jsonl, in its order)");
        }

        int bad = Array.FindIndex(m.Values, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new InvalidDataException($"{path}: row {bad / m.Cols} column {bad % m.Cols} is {m.Values[bad]} (every value must be finite)");
        }

        return m;
    }

    /// <summary>Retrieval embeddings at unit length, as the service's inner products assume; a zero row is refused.</summary>
    private static VectorMatrix UnitRows(VectorMatrix m, string path, TextWriter log)
    {
        int rescaled = 0;
        for (int r = 0; r < m.Rows; r++)
        {
            var row = m.Values.AsSpan(r * m.Cols, m.Cols);
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(row, row));
            if (norm < 1e-12)
            {
                throw new InvalidDataException($"{path}: row {r} is all zeros (an item needs a direction)");
            }

            if (Math.Abs(norm - 1) > 1e-4)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(row, (float)norm, row);
                rescaled++;
            }
        }

        if (rescaled > 0)
        {
            log.WriteLine($"[import] {rescaled} of {m.Rows} embeddings scaled to unit length (the service ranks by inner product with a unit interest)");
        }

        return m;
    }

    /// <summary>The tokenizer by its file, and the manifest's special tokens (the layout's four among them).</summary>
    private static (string Format, IQueryTokenizer Tokenizer, Dictionary<string, int> Special) ReadTokenizer(ImportOptions options)
    {
        if (Path.GetFileName(options.Tokenizer).EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            var wordPiece = WordPieceTokenizer.Load(options.Tokenizer);
            var names = options.LayoutTokens ?? ["[CLS]", "[MASK]", "[SEP]", "[unused0]"];
            if (names.Count != SequenceTokens.Keys.Count)
            {
                throw new InvalidDataException($"--layout-tokens: {names.Count} tokens given, the layout needs {SequenceTokens.Keys.Count} ({string.Join(", ", SequenceTokens.Keys)})");
            }

            var special = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (string token in new[] { "[PAD]", "[UNK]" })
            {
                if (wordPiece.IdOf(token) is { } id)
                {
                    special[token] = id;
                }
            }

            for (int i = 0; i < names.Count; i++)
            {
                special[SequenceTokens.Keys[i]] = wordPiece.IdOf(names[i])
                    ?? throw new InvalidDataException($"{options.Tokenizer}: no token '{names[i]}' for the layout's {SequenceTokens.Keys[i]} (choose others with --layout-tokens)");
            }

            return (WordPieceTokenizer.FormatId, wordPiece, special);
        }

        if (options.LayoutTokens is not null)
        {
            throw new InvalidDataException($"--layout-tokens applies to a WordPiece vocab.txt; {BpeTokenizer.FormatId} has fixed ids");
        }

        var bpe = BpeTokenizer.Load(options.Tokenizer);
        return (BpeTokenizer.FormatId, bpe, SpecialTokens.Texts.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i));
    }

    /// <summary>
    /// The user tower must take input_ids [B, T] int64, history_tokens [B, T, d] float and interest_position [B] int64,
    /// and give interest [B, D] float; it is run once on a two-item sequence to prove it does.
    /// </summary>
    private static void CheckUserTower(string path, byte[] graph, int embedDim, int dModel)
    {
        using var session = LoadSession(path, graph);
        var inputs = session.InputMetadata;
        var problems = new List<string>();
        void Expect(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, TensorElementType type, int rank, long last)
        {
            if (!metadata.TryGetValue(name, out var m))
            {
                problems.Add($"no {(ReferenceEquals(metadata, inputs) ? "input" : "output")} '{name}' (it has {string.Join(", ", metadata.Keys)})");
            }
            else if (m.ElementDataType != type || m.Dimensions.Length != rank || (last > 0 && m.Dimensions[^1] != last))
            {
                problems.Add($"'{name}' is {m.ElementDataType} [{string.Join(", ", m.Dimensions)}], the contract needs {type} of rank {rank}" +
                    (last > 0 ? $" ending in {last}" : string.Empty));
            }
        }

        Expect(inputs, TowerNames.InputIds, TensorElementType.Int64, 2, -1);
        Expect(inputs, TowerNames.HistoryTokens, TensorElementType.Float, 3, dModel);
        Expect(inputs, TowerNames.InterestPosition, TensorElementType.Int64, 1, -1);
        Expect(session.OutputMetadata, TowerNames.Interest, TensorElementType.Float, 2, embedDim);
        if (inputs.Count != 3)
        {
            problems.Add($"{inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); the contract has exactly input_ids, history_tokens, interest_position");
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: not a user tower of the package contract (docs/package-format.md): " + string.Join("; ", problems));
        }

        try
        {
            using var ids = OrtGraph.Tensor(new long[] { 2, 6, 6, 4, 5 }, 1, 5);
            using var tokens = OrtGraph.Tensor(new float[5 * dModel], 1, 5, dModel);
            using var at = OrtGraph.Tensor(new long[] { 4 }, 1);
            using var results = session.Run(new RunOptions(), [TowerNames.InputIds, TowerNames.HistoryTokens, TowerNames.InterestPosition],
                [ids, tokens, at], [TowerNames.Interest]);
            var interest = results[0].GetTensorDataAsSpan<float>();
            if (interest.Length != embedDim)
            {
                throw new InvalidDataException($"{path}: a one-sequence run gave {interest.Length} values, expected [1, {embedDim}]");
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot run it on a five-token sequence ({e.Message.Split('\n')[0]})", e);
        }
    }

    private static InferenceSession LoadSession(string path, byte[] graph)
    {
        try
        {
            return new InferenceSession(graph);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it ({e.Message.Split('\n')[0]})", e);
        }
    }

    private static ModelManifest Manifest(PackageStage stage, ImportOptions options, SearchLog data, string format, int vocabSize,
        Dictionary<string, int> specialTokens, int embedDim, int dModel, FeatureSet features, ChannelQuotas quotas, int recallK, string preRankSource,
        Dictionary<string, double> metrics)
    {
        int n = data.Items.Count;
        var (tokenizer, graphs, tables) = stage.Entries(n);
        return new ModelManifest
        {
            ModelVersion = $"import-{options.Name}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{graphs[PackageRoles.UserTower].Sha256[..8]}",
            Created = DateTimeOffset.UtcNow,
            Dimensions = new ManifestDimensions(embedDim, dModel, 0, 0, vocabSize, n),
            Limits = new ManifestLimits(options.MaxHistory, options.MaxQueryTokens, 0, InterestSequence.Length(options.MaxHistory, options.MaxQueryTokens)),
            SpecialTokens = specialTokens,
            Tokenizer = tokenizer,
            TokenizerFormat = format,
            Graphs = graphs,
            Tables = tables,
            ItemStatistics = ItemStatistics.Columns,
            PrerankFeatures = features.Names,
            Search = new ManifestSearch(recallK, quotas.Karma, quotas.Lexical, quotas.Category),
            Training = new Dictionary<string, string>
            {
                ["imported_user_tower"] = Path.GetFullPath(options.UserTower),
                ["imported_embeddings"] = Path.GetFullPath(options.Embeddings),
                ["data"] = Path.GetFullPath(options.DataDir),
                ["prerank_trained_on"] = preRankSource,
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            },
            Metrics = metrics,
        };
    }
}
