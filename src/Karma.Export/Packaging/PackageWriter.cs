using System.Globalization;
using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Export.Onnx;
using Karma.Onnx;
using Karma.Export.Towers;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Modeling;
using Karma.Training.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Karma.Export.Packaging;

/// <summary>Writes a verified export as a package directory (DESIGN.md section 3) and its manifest.</summary>
public static class PackageWriter
{
    /// <summary>File names inside a package.</summary>
    public const string UserTowerFile = "user_tower.onnx", ItemTowerFile = "item_tower.onnx", PreRankFile = "prerank.onnx",
        EmbeddingsFile = "item_embeddings.bin", HistoryTokensFile = "item_history_tokens.bin",
        PreRankFeaturesFile = "item_prerank_features.bin";

    /// <summary>Writes into a temporary sibling directory, then renames it into place.</summary>
    internal static ExportResult Write(ExportOptions options, CheckpointInfo info, BpeTokenizer tokenizer, SearchLog data,
        TemporalSplit split, byte[] userBytes, byte[] itemBytes, byte[] prerankBytes, float[] history, float[] embeddings,
        IReadOnlyList<ParityResult> parity, TextWriter log)
    {
        string outDir = Path.GetFullPath(options.OutDir);
        string parent = Path.GetDirectoryName(outDir)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(outDir)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            int n = data.Items.Count;
            var c = info.Model;
            File.WriteAllBytes(Path.Combine(temp, UserTowerFile), userBytes);
            File.WriteAllBytes(Path.Combine(temp, ItemTowerFile), itemBytes);
            File.WriteAllBytes(Path.Combine(temp, PreRankFile), prerankBytes);
            tokenizer.Save(Path.Combine(temp, BpeTokenizer.FileName));
            VectorTableWriter.Write(Path.Combine(temp, EmbeddingsFile), embeddings, n, c.EmbedDim, options.EmbeddingType);
            VectorTableWriter.Write(Path.Combine(temp, HistoryTokensFile), history, n, c.DModel, VectorElementType.Float32);
            using (var features = PreRankTrainer.ItemFeatureTable(data, split))
            {
                VectorTableWriter.Write(Path.Combine(temp, PreRankFeaturesFile), features.data<float>().ToArray(), n,
                    PreRanker.FeatureCount, VectorElementType.Float32);
            }

            ItemCatalogFile.Write(Path.Combine(temp, ItemCatalogFile.FileName),
                data.Items.Select(i => new ItemCatalogEntry(i.ItemId, i.Category, i.Title)));

            var manifest = new ModelManifest
            {
                ModelVersion = $"karma-{info.Objective}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{ModelManifest.Sha256Of(Path.Combine(temp, UserTowerFile))[..8]}",
                Created = DateTimeOffset.UtcNow,
                Dimensions = new ManifestDimensions(c.EmbedDim, c.DModel, c.ImageDim, c.IdBuckets, c.VocabSize, n),
                Limits = new ManifestLimits(c.MaxHistory, c.MaxQueryTokens, c.MaxItemTokens, c.MaxSeqLen),
                SpecialTokens = SpecialTokens.Texts.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i),
                Tokenizer = FileEntry(temp, BpeTokenizer.FileName),
                Graphs = new Dictionary<string, ManifestGraph>
                {
                    ["user_tower"] = GraphEntry(temp, UserTowerFile),
                    ["item_tower"] = GraphEntry(temp, ItemTowerFile),
                    ["prerank"] = GraphEntry(temp, PreRankFile),
                },
                Tables = new Dictionary<string, ManifestTable>
                {
                    ["embeddings"] = TableEntry(temp, EmbeddingsFile),
                    ["history_tokens"] = TableEntry(temp, HistoryTokensFile),
                    ["prerank_features"] = TableEntry(temp, PreRankFeaturesFile),
                    ["catalog"] = new(ItemCatalogFile.FileName, ModelManifest.Sha256Of(Path.Combine(temp, ItemCatalogFile.FileName)),
                        new FileInfo(Path.Combine(temp, ItemCatalogFile.FileName)).Length, n, 0, "jsonl"),
                },
                PrerankFeatures = new PreRankInfo().Features,
                Training = new Dictionary<string, string>
                {
                    ["objective"] = info.Objective ?? string.Empty,
                    ["steps"] = info.Step.ToString(CultureInfo.InvariantCulture),
                    ["seed"] = info.Seed.ToString(CultureInfo.InvariantCulture),
                    ["data"] = info.Data ?? string.Empty,
                    ["checkpoint"] = Path.GetFullPath(options.CheckpointDir),
                },
                Metrics = Metrics(options.CheckpointDir, info.WeightsSha256, parity),
            };
            manifest.Write(temp);
            // Swap: the old package is moved aside first, so a failed move never loses it.
            string? old = null;
            if (Directory.Exists(outDir))
            {
                old = Path.Combine(parent, $".{Path.GetFileName(outDir)}.{Guid.NewGuid():N}.old");
                Directory.Move(outDir, old);
            }

            try
            {
                Directory.Move(temp, outDir);
            }
            catch
            {
                if (old is not null)
                {
                    Directory.Move(old, outDir);
                }

                throw;
            }

            if (old is not null)
            {
                Directory.Delete(old, recursive: true);
            }

            long bytes = Directory.EnumerateFiles(outDir).Sum(f => new FileInfo(f).Length);
            log.WriteLine($"[export] wrote {outDir}: {bytes / 1024.0 / 1024.0:F2} MiB, model version {manifest.ModelVersion}");
            return new ExportResult(outDir, manifest, parity, bytes);
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            throw;
        }
    }

    private static Dictionary<string, double> Metrics(string checkpointDir, string? weightsSha256, IReadOnlyList<ParityResult> parity)
    {
        var m = new Dictionary<string, double>(StringComparer.Ordinal);
        string path = Path.Combine(checkpointDir, ReportWriter.JsonFile);
        if (File.Exists(path))
        {
            var r = Json.Read<EvaluationReport>(path);
            if (r.WeightsSha256 != weightsSha256)
            {
                throw new InvalidDataException($"{path} describes other weights than the checkpoint's; run `karma eval` again");
            }

            m["hr50"] = r.Model.All.Hr50;
            m["hr200"] = r.Model.All.Hr200;
            m["hr1000"] = r.Model.All.Hr1000;
            m["ndcg10"] = r.Model.All.Ndcg10;
            m["hr200_warm"] = r.Model.Warm.Hr200;
            m["hr200_cold"] = r.Model.Cold.Hr200;
            m["semantic_fidelity50"] = r.SemanticFidelity50;
            m["attention_sink_max_mass"] = r.AttentionSinks.MaxKeyMass;
            m["attention_sink_first_position_mass"] = r.AttentionSinks.FirstPositionMass;
            if (r.PreRank is { } p)
            {
                m["prerank_gauc"] = p.GaucWithInterest;
                m["prerank_gauc_history_mean_baseline"] = p.GaucWithoutInterest;
            }
        }

        foreach (var p in parity)
        {
            m[$"parity_{p.Graph}_max_abs_diff"] = p.MaxAbsDiff;
            if (p.Top10Agreement is { } a)
            {
                m[$"parity_{p.Graph}_top10_agreement"] = a;
            }
        }

        return m;
    }

    private static ManifestFile FileEntry(string dir, string file)
        => new(file, ModelManifest.Sha256Of(Path.Combine(dir, file)), new FileInfo(Path.Combine(dir, file)).Length);

    private static ManifestTable TableEntry(string dir, string file)
    {
        using var t = VectorTable.Open(Path.Combine(dir, file));
        return new ManifestTable(file, ModelManifest.Sha256Of(Path.Combine(dir, file)), new FileInfo(Path.Combine(dir, file)).Length,
            t.Rows, t.Cols, t.ElementType == VectorElementType.Float16 ? "float16" : "float32");
    }

    /// <summary>A graph's file entry with its signature as ONNX Runtime reads it.</summary>
    internal static ManifestGraph GraphEntry(string dir, string file)
    {
        string path = Path.Combine(dir, file);
        using var session = new InferenceSession(path);
        return new ManifestGraph(file, ModelManifest.Sha256Of(path), new FileInfo(path).Length, GraphBuilder.Opset,
            Signature(session.InputMetadata), Signature(session.OutputMetadata));
    }

    /// <summary>Names, element types and shapes (dynamic dimensions by name) of a session's inputs or outputs.</summary>
    internal static List<ManifestTensor> Signature(IReadOnlyDictionary<string, NodeMetadata> metadata)
        => metadata.Select(kv => new ManifestTensor(kv.Key, ElementName(kv.Value.ElementDataType),
            kv.Value.Dimensions.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture) : kv.Value.SymbolicDimensions[i]).ToList())).ToList();

    private static string ElementName(TensorElementType t) => t switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Int64 => "int64",
        TensorElementType.Bool => "bool",
        _ => t.ToString().ToLowerInvariant(),
    };
}
