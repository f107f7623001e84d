using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Karma.Core.Package;

/// <summary>
/// <c>manifest.json</c> of a model package (docs/package-format.md): what the package is, the sizes and
/// limits the service must respect, every file with its SHA-256, every graph's inputs and outputs, and
/// the metrics the model was exported with.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Expected <see cref="Format"/>.</summary>
    public const string FormatId = "karma-model-package";

    /// <summary>Expected <see cref="FormatVersion"/>.</summary>
    public const int CurrentVersion = 2;

    /// <summary>Format marker.</summary>
    public string Format { get; init; } = FormatId;

    /// <summary>Format version.</summary>
    public int FormatVersion { get; init; } = CurrentVersion;

    /// <summary>Model version string served in every response.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>UTC creation time.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Sizes.</summary>
    public required ManifestDimensions Dimensions { get; init; }

    /// <summary>Limits of the user tower's sequence.</summary>
    public required ManifestLimits Limits { get; init; }

    /// <summary>Ids of the special tokens the service lays sequences out with.</summary>
    public required IReadOnlyDictionary<string, int> SpecialTokens { get; init; }

    /// <summary>The tokenizer file.</summary>
    public required ManifestFile Tokenizer { get; init; }

    /// <summary>
    /// The tokenizer file's format: <c>karma-bpe</c> (ours, <c>tokenizer.json</c>; the default, and what packages before
    /// this field have) or <c>wordpiece</c> (a BERT <c>vocab.txt</c>, for towers trained elsewhere).
    /// </summary>
    public string TokenizerFormat { get; init; } = Text.BpeTokenizer.FormatId;

    /// <summary>The graphs by role (<see cref="PackageRoles.Graphs"/>).</summary>
    public required IReadOnlyDictionary<string, ManifestGraph> Graphs { get; init; }

    /// <summary>The item tables by role (<see cref="PackageRoles.Tables"/>).</summary>
    public required IReadOnlyDictionary<string, ManifestTable> Tables { get; init; }

    /// <summary>Column definitions of the item-statistics table, in order.</summary>
    public IReadOnlyList<string> ItemStatistics { get; init; } = [];

    /// <summary>The pre-ranker's request–candidate features by name, in input order (the service computes them by name).</summary>
    public IReadOnlyList<string> PrerankFeatures { get; init; } = [];

    /// <summary>How the pre-ranker's training candidates were recalled: the Search defaults it was fitted to.</summary>
    public ManifestSearch? Search { get; init; }

    /// <summary>
    /// The frozen pretrained text encoder whose sentence embeddings the towers read (the query's at request time), or
    /// null when the model has none. Identified by hash; see <see cref="ManifestTextEncoder"/>.
    /// </summary>
    public ManifestTextEncoder? TextEncoder { get; init; }

    /// <summary>What the model was trained with (objective, steps, seed, data).</summary>
    public IReadOnlyDictionary<string, string> Training { get; init; } = new Dictionary<string, string>();

    /// <summary>Metrics measured before export (recall, semantic fidelity, attention sinks, gAUC) and parity figures.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// The Search-path evaluation at export (test requests, against the baselines) and the quality gate's verdict;
    /// null for a package exported without the gate.
    /// </summary>
    public ManifestQuality? Quality { get; init; }

    /// <summary>
    /// What held-out requests' interests are about (the drift monitor's reference); null for a package exported
    /// without the gate's evaluation.
    /// </summary>
    public ManifestInterestReference? InterestReference { get; init; }

    /// <summary>JSON conventions of the manifest.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Reads and checks the format; errors name the file.</summary>
    public static ModelManifest Read(string packageDir)
    {
        string path = Path.Combine(packageDir, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: missing (not a model package)");
        }

        ModelManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid manifest ({e.Message})", e);
        }

        if (m is null || m.Format != FormatId)
        {
            throw new InvalidDataException($"{path}: format is '{m?.Format}', expected '{FormatId}'");
        }

        if (m.FormatVersion != CurrentVersion)
        {
            throw new InvalidDataException($"{path}: format version {m.FormatVersion} is not supported (expected {CurrentVersion}; " +
                "version 1 packages have no lexical index and a pre-ranker without query features: export the checkpoint again)");
        }

        return m;
    }

    /// <summary>Writes the manifest.</summary>
    public void Write(string packageDir) =>
        File.WriteAllText(Path.Combine(packageDir, FileName), JsonSerializer.Serialize(this, JsonOptions) + "\n");

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>Sizes of the model.</summary>
/// <param name="EmbedDim">Retrieval embedding width D.</param>
/// <param name="DModel">Backbone token width d (history tokens).</param>
/// <param name="ImageDim">Raw image-feature length (0: none).</param>
/// <param name="IdBuckets">Hashed item-id buckets (0: none).</param>
/// <param name="VocabSize">Tokenizer vocabulary.</param>
/// <param name="Items">Rows of the item tables.</param>
public sealed record ManifestDimensions(int EmbedDim, int DModel, int ImageDim, int IdBuckets, int VocabSize, int Items);

/// <summary>Sequence limits.</summary>
public sealed record ManifestLimits(int MaxHistory, int MaxQueryTokens, int MaxItemTokens, int MaxSeqLen);

/// <summary>A file of the package.</summary>
public sealed record ManifestFile(string File, string Sha256, long Bytes);

/// <summary>A tensor of a graph's signature; a string dimension is dynamic.</summary>
public sealed record ManifestTensor(string Name, string ElementType, IReadOnlyList<string> Shape);

/// <summary>A graph with its signature.</summary>
public sealed record ManifestGraph(string File, string Sha256, long Bytes, int Opset, IReadOnlyList<ManifestTensor> Inputs,
    IReadOnlyList<ManifestTensor> Outputs);

/// <summary>An item table (a VectorTable file, or the catalog with Cols 0).</summary>
public sealed record ManifestTable(string File, string Sha256, long Bytes, int Rows, int Cols, string ElementType);

/// <summary>
/// A frozen pretrained sentence encoder (BERT layout; inputs input_ids, attention_mask, token_type_ids; output
/// last_hidden_state; WordPiece vocabulary), mean-pooled over the text's tokens and scaled to unit length. The files are
/// not in the package: they are identified by SHA-256, and the service takes them from the copy its build carries
/// (<see cref="Source"/>), refusing the package when the hashes differ.
/// </summary>
/// <param name="Name">Model name, e.g. all-MiniLM-L6-v2.</param>
/// <param name="ModelSha256">SHA-256 of the ONNX graph.</param>
/// <param name="VocabularySha256">SHA-256 of the WordPiece vocabulary.</param>
/// <param name="Dimensions">Embedding width.</param>
/// <param name="MaxTokens">Tokens per text, [CLS] and [SEP] included.</param>
/// <param name="Source">Where the files come from (a NuGet package and version).</param>
public sealed record ManifestTextEncoder(string Name, string ModelSha256, string VocabularySha256, int Dimensions, int MaxTokens, string Source);

/// <summary>The recall budget and channel shares the pre-ranker's training candidates were drawn with.</summary>
/// <param name="RecallK">Candidates recalled per request.</param>
/// <param name="KarmaShare">Share of the budget for the KARMA embedding channel.</param>
/// <param name="LexicalShare">Share of the budget for the BM25 channel.</param>
/// <param name="CategoryShare">Share of the budget for the intent-category channel.</param>
public sealed record ManifestSearch(int RecallK, double KarmaShare, double LexicalShare, double CategoryShare)
{
    /// <summary>What is wrong with the section (null when nothing is): shares must lie in [0, 1], not all 0, and recall_k above 0.</summary>
    public static string? Problem(ManifestSearch? search)
    {
        if (search is null)
        {
            return "manifest: the search section is missing";
        }

        bool InRange(double share) => share is >= 0 and <= 1;
        if (search.RecallK <= 0 || !InRange(search.KarmaShare) || !InRange(search.LexicalShare) || !InRange(search.CategoryShare)
            || search.KarmaShare + search.LexicalShare + search.CategoryShare == 0)
        {
            return $"manifest: search defaults out of range (recall_k {search.RecallK} must be above 0; shares {search.KarmaShare}, " +
                $"{search.LexicalShare}, {search.CategoryShare} must lie in [0, 1], not all 0)";
        }

        return null;
    }
}

/// <summary>The evaluation a package was exported with, and the gate's verdict on it.</summary>
/// <param name="Split">Requests evaluated (<c>test</c>).</param>
/// <param name="Requests">How many.</param>
/// <param name="Figures">Search, best-baseline and embedding figures, semantic fidelity, attention sinks, Explain accuracy (snake_case names).</param>
/// <param name="Gate">The verdict.</param>
public sealed record ManifestQuality(string Split, int Requests, IReadOnlyDictionary<string, double> Figures, ManifestGate Gate);

/// <summary>The quality gate's verdict.</summary>
/// <param name="Passed">Every check held.</param>
/// <param name="Forced">Written although a check failed (<c>karma export --force</c>).</param>
/// <param name="Checks">Each check, in order.</param>
public sealed record ManifestGate(bool Passed, bool Forced, IReadOnlyList<ManifestGateCheck> Checks)
{
    /// <summary>One line: PASSED, FAILED or FORCED with the failed checks named.</summary>
    public string Summary => Passed
        ? $"quality gate PASSED ({Checks.Count} checks)"
        : $"quality gate {(Forced ? "FAILED, package written with --force" : "FAILED")}: " +
          string.Join("; ", Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}"));
}

/// <summary>One check of the gate.</summary>
/// <param name="Name">What was checked, e.g. <c>search beats best baseline on HR@200</c>.</param>
/// <param name="Passed">Whether it held.</param>
/// <param name="Detail">The figures behind it.</param>
public sealed record ManifestGateCheck(string Name, bool Passed, string Detail);

/// <summary>
/// The reference the service's drift monitor compares served interests with: the mean over held-out requests of each
/// interest's reading as leaf categories, and the mean of the unit interests.
/// </summary>
/// <param name="Split">Requests profiled (<c>validation</c>).</param>
/// <param name="Requests">How many.</param>
/// <param name="Categories">Mean probability of each leaf category path.</param>
/// <param name="Mean">Mean unit interest embedding [D].</param>
/// <param name="TestDivergence">
/// Largest divergence the monitor showed while the test requests were replayed through it offline with
/// <paramref name="HalfLife"/> (after the first half-life): the figure of the model's own traffic.
/// </param>
/// <param name="HalfLife">The half-life that replay used.</param>
/// <param name="Words">
/// Distribution of the words the held-out interests decode to (each interest's ten likeliest, weighted by probability;
/// the rest as <c>(other)</c>); null for a package without a decoder.
/// </param>
/// <param name="TestWordDivergence">The word monitor's largest divergence in the same replay (decoding one request in <paramref name="WordSampling"/>).</param>
/// <param name="WordSampling">One request in this many was decoded in the replay (the service's default).</param>
public sealed record ManifestInterestReference(string Split, long Requests, IReadOnlyDictionary<string, double> Categories,
    IReadOnlyList<float> Mean, double TestDivergence, int HalfLife, IReadOnlyDictionary<string, double>? Words = null,
    double TestWordDivergence = 0, int WordSampling = 0);
