using Karma.Core.Package;
using Karma.Core.Text;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Model;

/// <summary>
/// A model package loaded for serving: manifest, tokenizer, memory-mapped item tables, catalog and one ONNX
/// Runtime session per graph. Loading verifies every file's size and SHA-256 and the table shapes against
/// the manifest, and refuses the package with an <see cref="InvalidDataException"/> naming each problem.
/// </summary>
public sealed class ModelPackage : IDisposable
{
    private ModelPackage(string directory, ModelManifest manifest, BpeTokenizer tokenizer, ItemCatalog catalog,
        VectorTable embeddings, VectorTable historyTokens, VectorTable preRankFeatures, InferenceSession userTower,
        InferenceSession itemTower, InferenceSession preRank, string device)
    {
        Directory = directory;
        Manifest = manifest;
        Tokenizer = tokenizer;
        Catalog = catalog;
        Embeddings = embeddings;
        HistoryTokens = historyTokens;
        PreRankFeatures = preRankFeatures;
        UserTower = userTower;
        ItemTower = itemTower;
        PreRank = preRank;
        Device = device;
    }

    /// <summary>Where the package was loaded from.</summary>
    public string Directory { get; }

    /// <summary>The manifest.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>Model version served in responses.</summary>
    public string Version => Manifest.ModelVersion;

    /// <summary>Query tokenizer.</summary>
    public BpeTokenizer Tokenizer { get; }

    /// <summary>Item ids and categories by table row.</summary>
    public ItemCatalog Catalog { get; }

    /// <summary>Unit retrieval embeddings [N, D].</summary>
    public VectorTable Embeddings { get; }

    /// <summary>History tokens [N, d] for the user tower's [ITEM] slots.</summary>
    public VectorTable HistoryTokens { get; }

    /// <summary>Pre-ranker candidate features [N, F].</summary>
    public VectorTable PreRankFeatures { get; }

    /// <summary>Sessions, one per graph.</summary>
    public InferenceSession UserTower { get; }

    /// <summary>Item tower session.</summary>
    public InferenceSession ItemTower { get; }

    /// <summary>Pre-ranker session.</summary>
    public InferenceSession PreRank { get; }

    /// <summary><c>cuda</c> or <c>cpu</c>.</summary>
    public string Device { get; }

    /// <summary>Loads and checks a package.</summary>
    /// <param name="threading">CPU threading of the graphs' sessions; null keeps ONNX Runtime's defaults.</param>
    public static ModelPackage Load(string directory, InferenceDevice device, ILogger logger, SessionThreading? threading = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var manifest = ModelManifest.Read(directory);
        var problems = new List<string>();
        void Check(string? file, string? sha, long bytes)
        {
            if (PackageFiles.Problem(directory, file, sha, bytes) is { } p)
            {
                problems.Add(p);
            }
        }

        Check(manifest.Tokenizer?.File, manifest.Tokenizer?.Sha256, manifest.Tokenizer?.Bytes ?? -1);
        foreach (string role in new[] { "user_tower", "item_tower", "prerank" })
        {
            if (manifest.Graphs?.GetValueOrDefault(role) is { } g)
            {
                Check(g.File, g.Sha256, g.Bytes);
            }
            else
            {
                problems.Add($"manifest: no '{role}' graph");
            }
        }

        foreach (string role in new[] { "embeddings", "history_tokens", "prerank_features", "catalog" })
        {
            if (manifest.Tables?.GetValueOrDefault(role) is { } t)
            {
                Check(t.File, t.Sha256, t.Bytes);
            }
            else
            {
                problems.Add($"manifest: no '{role}' table");
            }
        }

        if (manifest.Dimensions is null || manifest.Limits is null)
        {
            problems.Add("manifest: dimensions or limits missing");
        }

        Refuse(directory, problems);
        var disposables = new List<IDisposable>();
        try
        {
            var dims = manifest.Dimensions!;
            var tokenizer = BpeTokenizer.Load(Path.Combine(directory, manifest.Tokenizer!.File));
            var catalog = ItemCatalogFile.Read(Path.Combine(directory, manifest.Tables!["catalog"].File));
            VectorTable Open(string role, int cols)
            {
                var table = VectorTable.Open(Path.Combine(directory, manifest.Tables[role].File));
                disposables.Add(table);
                if (table.Rows != dims.Items || table.Cols != cols)
                {
                    problems.Add($"{table.Path}: shape [{table.Rows}, {table.Cols}], expected [{dims.Items}, {cols}]");
                }

                return table;
            }

            var embeddings = Open("embeddings", dims.EmbedDim);
            var history = Open("history_tokens", dims.DModel);
            var features = Open("prerank_features", manifest.PrerankFeatures.Count);
            if (catalog.Count != dims.Items)
            {
                problems.Add($"{manifest.Tables["catalog"].File}: {catalog.Count} items, manifest says {dims.Items}");
            }

            if (tokenizer.VocabSize != dims.VocabSize)
            {
                problems.Add($"{manifest.Tokenizer.File}: vocabulary {tokenizer.VocabSize}, manifest says {dims.VocabSize}");
            }

            Refuse(directory, problems);
            InferenceSession Session(string role, out string actual)
            {
                var s = SessionFactory.Create(Path.Combine(directory, manifest.Graphs![role].File), device, logger, out actual, threading);
                disposables.Add(s);
                return s;
            }

            var user = Session("user_tower", out string actualDevice);
            var item = Session("item_tower", out _);
            var prerank = Session("prerank", out _);
            ModelLog.Loaded(logger, manifest.ModelVersion, directory, dims.Items, dims.EmbedDim, actualDevice);
            return new ModelPackage(directory, manifest, tokenizer, catalog, embeddings, history, features, user, item, prerank, actualDevice);
        }
        catch
        {
            foreach (var d in disposables)
            {
                d.Dispose();
            }

            throw;
        }
    }

    private static void Refuse(string directory, List<string> problems)
    {
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"model package {directory} refused: " + string.Join("; ", problems));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        UserTower.Dispose();
        ItemTower.Dispose();
        PreRank.Dispose();
        Embeddings.Dispose();
        HistoryTokens.Dispose();
        PreRankFeatures.Dispose();
    }
}
