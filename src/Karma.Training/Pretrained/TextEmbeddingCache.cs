using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Karma.Training.Pretrained;

/// <summary>
/// Frozen-encoder embeddings of a list of texts kept on disk, so training runs and evaluations over the same catalog
/// and queries embed them once (10,000 item texts take about 20 s on 2 cores). A file is named by the SHA-256 of the
/// embedder's identity and every text (length-prefixed), and holds a header (magic, count, width) and the floats; a
/// file that does not match is recomputed and replaced, never trusted.
/// </summary>
public static class TextEmbeddingCache
{
    private static readonly byte[] Magic = "KEMB0001"u8.ToArray();
    private const int HeaderBytes = 16;

    /// <summary>The embeddings of <paramref name="texts"/>, from <paramref name="directory"/> when present and valid, else computed and stored.</summary>
    public static float[][] Embed(TextEmbedder embedder, IReadOnlyList<string> texts, string directory, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        return Embed(embedder.Identity, embedder.Dimensions, texts, directory, () => embedder, progress);
    }

    /// <summary>
    /// The same, for an embedder known by its <paramref name="identity"/> and width and created by
    /// <paramref name="embedder"/> only when the file is missing or broken (loading one takes a second and 90 MB).
    /// </summary>
    public static float[][] Embed(string identity, int dimensions, IReadOnlyList<string> texts, string directory, Func<TextEmbedder> embedder,
        IProgress<string>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identity);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(embedder);
        string path = Path.Combine(directory, Key(identity, texts) + ".emb");
        if (TryRead(path, texts.Count, dimensions) is { } cached)
        {
            progress?.Report($"{texts.Count} embeddings read from {path}");
            return cached;
        }

        var embeddings = embedder().Embed(texts, progress);
        Directory.CreateDirectory(directory);
        string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var file = File.Create(temporary))
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], texts.Count);
            BinaryPrimitives.WriteInt32LittleEndian(header[12..], dimensions);
            file.Write(header);
            foreach (var e in embeddings)
            {
                file.Write(MemoryMarshal.AsBytes(e.AsSpan()));
            }
        }

        File.Move(temporary, path, overwrite: true);
        return embeddings;
    }

    /// <summary>The file name's hash: identity and texts, each length-prefixed, so no two lists share it.</summary>
    public static string Key(string identity, IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(texts);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Add(hash, identity);
        AddLength(hash, texts.Count);
        foreach (string t in texts)
        {
            Add(hash, t ?? string.Empty);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Add(IncrementalHash hash, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        AddLength(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AddLength(IncrementalHash hash, int length)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        hash.AppendData(bytes);
    }

    private static float[][]? TryRead(string path, int count, int dimensions)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        byte[] bytes = File.ReadAllBytes(path);
        long expected = HeaderBytes + ((long)count * dimensions * sizeof(float));
        if (bytes.Length != expected || !bytes.AsSpan(0, 8).SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)) != count || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)) != dimensions)
        {
            return null;
        }

        var floats = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(HeaderBytes));
        var result = new float[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = floats.Slice(i * dimensions, dimensions).ToArray();
            foreach (float v in result[i])
            {
                if (!float.IsFinite(v))
                {
                    return null;
                }
            }
        }

        return result;
    }
}
