using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Search.Hybrid;
using Karma.Serving.Core.Inference;
using Karma.Search.Lexical;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Model;

/// <summary>
/// A model package loaded for serving: manifest, tokenizer, memory-mapped item tables, catalog, item attributes,
/// the BM25 index, the pre-ranker's feature list and one ONNX Runtime session per graph. Loading verifies every
/// file's size and SHA-256, the table shapes and the pre-ranker's signature against the manifest, and refuses the
/// package with an <see cref="InvalidDataException"/> naming each problem.
/// </summary>
public sealed class ModelPackage : IDisposable
{
    private ModelPackage(string directory, ModelManifest manifest, IQueryTokenizer tokenizer, SequenceTokens sequenceTokens, ItemCatalog catalog,
        VectorTable embeddings, VectorTable historyTokens, ItemAttributes attributes, LexicalIndex lexical, FeatureSet features,
        InferenceSession userTower, InferenceSession? itemTower, InferenceSession preRank, string device, QueryTextEncoder? queryText, InterestDecoder? decoder)
    {
        Decoder = decoder;
        QueryText = queryText;
        Directory = directory;
        Manifest = manifest;
        Tokenizer = tokenizer;
        SequenceTokens = sequenceTokens;
        Catalog = catalog;
        Embeddings = embeddings;
        HistoryTokens = historyTokens;
        Attributes = attributes;
        Lexical = lexical;
        PreRankFeatures = features;
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

    /// <summary>Query tokenizer (<see cref="ModelManifest.TokenizerFormat"/>).</summary>
    public IQueryTokenizer Tokenizer { get; }

    /// <summary>The ids of the user tower's layout tokens ([BOS], [ITEM], [SEP], [INT]) in this package's vocabulary.</summary>
    public SequenceTokens SequenceTokens { get; }

    /// <summary>Item ids and categories by table row.</summary>
    public ItemCatalog Catalog { get; }

    /// <summary>Unit retrieval embeddings [N, D].</summary>
    public VectorTable Embeddings { get; }

    /// <summary>History tokens [N, d] for the user tower's [ITEM] slots.</summary>
    public VectorTable HistoryTokens { get; }

    /// <summary>Per-item categories, popularity and price (from the item-statistics table).</summary>
    public ItemAttributes Attributes { get; }

    /// <summary>BM25 index over the items' text (the lexical recall channel and the BM25 features).</summary>
    public LexicalIndex Lexical { get; }

    /// <summary>The features the pre-ranker was trained on, in input order.</summary>
    public FeatureSet PreRankFeatures { get; }

    /// <summary>Recall budget and channel shares the pre-ranker was trained with.</summary>
    public ManifestSearch SearchDefaults => Manifest.Search!;

    /// <summary>The channel shares the pre-ranker was trained with.</summary>
    public ChannelQuotas DefaultQuotas => new(SearchDefaults.KarmaShare, SearchDefaults.LexicalShare, SearchDefaults.CategoryShare);

    /// <summary>Sessions, one per graph.</summary>
    public InferenceSession UserTower { get; }

    /// <summary>Item tower session, or null for a package without one (imported towers may lack it).</summary>
    public InferenceSession? ItemTower { get; }

    /// <summary>Pre-ranker session.</summary>
    public InferenceSession PreRank { get; }

    /// <summary>The frozen pretrained text encoder for queries (<see cref="ModelManifest.TextEncoder"/>), or null when the model has none.</summary>
    public QueryTextEncoder? QueryText { get; }

    /// <summary>L_rec's decoder for Explain, or null for a package exported without one.</summary>
    public InterestDecoder? Decoder { get; }

    /// <summary><c>cuda</c> or <c>cpu</c>.</summary>
    public string Device { get; }

    /// <summary>Loads and checks a package.</summary>
    /// <param name="directory">The package directory (holding <c>manifest.json</c>).</param>
    /// <param name="device">Where the graphs run; under <see cref="InferenceDevice.Auto"/> a CUDA failure on the first graph sends them all to CPU.</param>
    /// <param name="logger">Receives the load, quality-gate and CUDA-fallback lines.</param>
    /// <param name="threading">CPU threading of the graphs' sessions; null keeps ONNX Runtime's defaults.</param>
    public static ModelPackage Load(string directory, InferenceDevice device, ILogger logger, SessionThreading? threading = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var manifest = ModelManifest.Read(directory);
        var problems = new List<string>();
        PackageContract.CheckListing(directory, manifest, problems);
        var features = SearchContract.Check(manifest, problems);
        Refuse(directory, problems);
        var disposables = new List<IDisposable>();
        try
        {
            var dims = manifest.Dimensions;
            var tokenizer = PackageTokenizer.Load(directory, manifest);
            var sequenceTokens = PackageContract.CheckTokenizer(tokenizer, manifest, problems);
            var catalog = ItemCatalogFile.Read(Path.Combine(directory, manifest.Tables[PackageRoles.Catalog].File));
            PackageContract.CheckCatalog(catalog, manifest, problems);
            VectorTable Open(string role)
            {
                var table = VectorTable.Open(Path.Combine(directory, manifest.Tables[role].File));
                disposables.Add(table);
                PackageContract.CheckTable(role, table, manifest, problems);
                return table;
            }

            var embeddings = Open(PackageRoles.Embeddings);
            var history = Open(PackageRoles.HistoryTokens);
            var statistics = Open(PackageRoles.ItemStatistics);
            Refuse(directory, problems);
            var attributes = new ItemAttributes(catalog.Categories, statistics.AsSpan());
            var lexical = LexicalIndexFile.Open(Path.Combine(directory, manifest.Tables[PackageRoles.Lexical].File), dims.Items);
            disposables.Add(lexical);
            InferenceSession Session(string role, out string actual)
            {
                var graph = manifest.Graphs[role];
                var s = SessionFactory.Create(Path.Combine(directory, graph.File), device, logger, out actual, threading);
                disposables.Add(s);
                GraphContract.CheckSignature(graph, s, problems);
                // Auto fell back to CPU on the first graph: the rest go straight to CPU (one fallback line per load, not one per graph).
                if (device == InferenceDevice.Auto && actual == "cpu")
                {
                    device = InferenceDevice.Cpu;
                }

                return s;
            }

            var user = Session(PackageRoles.UserTower, out string actualDevice);
            var item = manifest.Graphs.ContainsKey(PackageRoles.ItemTower) ? Session(PackageRoles.ItemTower, out _) : null;
            var prerank = Session(PackageRoles.PreRank, out _);
            GraphContract.CheckPreRank(prerank, dims.EmbedDim, features!.Count, problems);
            GraphContract.CheckTextInput(user, manifest.TextEncoder, problems);
            InterestDecoder? decoder = null;
            if (manifest.Graphs.ContainsKey(PackageRoles.Decoder) && tokenizer is BpeTokenizer bpe)
            {
                decoder = InterestDecoder.Create(Session(PackageRoles.Decoder, out _), bpe, dims.EmbedDim, problems);
            }

            Refuse(directory, problems);
            QueryTextEncoder? queryText = null;
            if (manifest.TextEncoder is { } textEncoder)
            {
                // The query encoder runs on the request path like the user tower: same threading.
                queryText = QueryTextEncoder.Load(textEncoder, threading ?? SessionThreading.OrtDefault);
                disposables.Add(queryText);
            }

            disposables.Remove(statistics);
            statistics.Dispose(); // copied into the attributes
            ModelLog.Loaded(logger, manifest.ModelVersion, directory, dims.Items, dims.EmbedDim, actualDevice);
            if (manifest.Quality?.Gate is { Passed: true } passed)
            {
                ModelLog.GatePassed(logger, manifest.ModelVersion, passed.Summary);
            }
            else
            {
                ModelLog.GateNotPassed(logger, manifest.ModelVersion, manifest.Quality?.Gate.Summary ?? "quality gate not run (exported with --no-gate, or before the gate existed)");
            }

            return new ModelPackage(directory, manifest, tokenizer, sequenceTokens!.Value, catalog, embeddings, history, attributes, lexical, features,
                user, item, prerank, actualDevice, queryText, decoder);
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
        ItemTower?.Dispose();
        PreRank.Dispose();
        Embeddings.Dispose();
        HistoryTokens.Dispose();
        Lexical.Dispose();
        QueryText?.Dispose();
        Decoder?.Dispose();
    }
}
