using System.Runtime.InteropServices;
using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Caching.Memory;

namespace Karma.Serving.Core.Inference;

/// <summary>
/// The package's frozen pretrained text encoder applied to queries: the sentence embedding the user tower adds to its
/// [INT] position. The files are not in the package; they are the copy this build carries (<see cref="MiniLmFiles"/>),
/// accepted only when their SHA-256 equal the manifest's. Embeddings are kept in a bounded cache by token ids (queries
/// repeat; one costs about 2.6 ms on one CPU thread), and misses of one micro-batch are encoded in one run. Thread-safe.
/// </summary>
public sealed class QueryTextEncoder : IDisposable
{
    // 384 floats are 1.5 KiB: 32 MiB keeps about 20k distinct queries.
    private const long CacheBytes = 32L << 20;

    private readonly PretrainedSentenceEncoder _encoder;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = CacheBytes });

    private QueryTextEncoder(PretrainedSentenceEncoder encoder) => _encoder = encoder;

    /// <summary>Width of the embeddings.</summary>
    public int Dimensions => _encoder.Dimensions;

    /// <summary>
    /// Loads the encoder the manifest names. Throws <see cref="InvalidDataException"/> naming both hashes when this
    /// build carries a different encoder, and <see cref="FileNotFoundException"/> when it carries none.
    /// </summary>
    public static QueryTextEncoder Load(ManifestTextEncoder spec, SessionThreading threading)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(threading);
        if (spec.ModelSha256 != MiniLmFiles.ModelSha256 || spec.VocabularySha256 != MiniLmFiles.VocabularySha256)
        {
            throw new InvalidDataException(
                $"manifest: text encoder {spec.Name} (model SHA-256 {spec.ModelSha256}, from {spec.Source}) is not the one this build carries " +
                $"({MiniLmFiles.Name}, model SHA-256 {MiniLmFiles.ModelSha256}, from {MiniLmFiles.Source})");
        }

        if (spec.Dimensions != MiniLmFiles.Dimensions || spec.MaxTokens is < 2 or > 512)
        {
            throw new InvalidDataException(
                $"manifest: text encoder dimensions {spec.Dimensions} (expected {MiniLmFiles.Dimensions}) or max_tokens {spec.MaxTokens} (expected 2..512) out of range");
        }

        var (model, vocabulary) = MiniLmFiles.Read();
        return new QueryTextEncoder(new PretrainedSentenceEncoder(model, new PretrainedTokenizer(vocabulary), threading, spec.MaxTokens));
    }

    /// <summary>The encoder's input for a query (what the embedding depends on; part of the interest cache key).</summary>
    public int[] Tokenize(string query) => _encoder.Tokenize(query);

    /// <summary>Embeddings of tokenized queries, in order: cached ones from the cache, the rest in one run.</summary>
    public float[][] Embed(IReadOnlyList<int[]> tokenized)
    {
        ArgumentNullException.ThrowIfNull(tokenized);
        var result = new float[tokenized.Count][];
        var keys = new string[tokenized.Count];
        var missing = new List<int>();
        var firstOfKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokenized.Count; i++)
        {
            keys[i] = Convert.ToBase64String(MemoryMarshal.AsBytes(tokenized[i].AsSpan()));
            if (_cache.TryGetValue(keys[i], out float[]? hit) && hit is not null)
            {
                result[i] = hit;
            }
            else if (firstOfKey.TryAdd(keys[i], i))
            {
                missing.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            var fresh = _encoder.EncodeTokens(missing.Select(i => tokenized[i]).ToList());
            for (int j = 0; j < missing.Count; j++)
            {
                result[missing[j]] = fresh[j];
                _cache.Set(keys[missing[j]], fresh[j], new MemoryCacheEntryOptions { Size = (fresh[j].Length * sizeof(float)) + keys[missing[j]].Length * 2 });
            }

            for (int i = 0; i < result.Length; i++)
            {
                result[i] ??= result[firstOfKey[keys[i]]];
            }
        }

        return result;
    }

    /// <summary>Embeddings computed in one run, the cache neither read nor filled (what a batch of new queries costs; for benchmarks).</summary>
    public float[][] EmbedUncached(IReadOnlyList<int[]> tokenized) => _encoder.EncodeTokens(tokenized);

    /// <inheritdoc />
    public void Dispose()
    {
        _encoder.Dispose();
        _cache.Dispose();
    }
}
