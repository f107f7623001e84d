using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Karma.Serving.Model;

public sealed partial class UserEmbeddingCache
{
    /// <summary>Start of every entry's key; the model version follows, then the hash.</summary>
    public const string KeyPrefix = "karma:emb:";

    // Names the key scheme inside the hashed bytes: if what the key covers ever changes, the tag changes with it and
    // keys of the two schemes cannot meet, even for the same model version.
    private static ReadOnlySpan<byte> KeyScheme => "karma-emb-key/2"u8;

    private const int StackKeyBytes = 1024;

    /// <summary>
    /// The cache key of a context under a model version: <c>karma:emb:{version}:{SHA-256, hex}</c> over exactly what
    /// the user tower consumes, the prepared history rows (unknown ids skipped, the oldest dropped beyond the model's
    /// limit), the query token ids and, for a model with a pretrained text encoder, the query's input to that encoder
    /// (<see cref="Core.Inference.InterestEncoder.Prepare"/>; empty otherwise). Every field is
    /// length-prefixed in a fixed binary layout, so two different inputs never produce the same hashed bytes (a
    /// separator character inside an id or a query cannot shift a field boundary), and the embedding is a function of
    /// the key: contexts that differ only by unknown ids or by how a query is spelled before tokenization share one
    /// entry. The user id is never part of it.
    /// </summary>
    public static string Key(string modelVersion, ReadOnlySpan<int> historyRows, ReadOnlySpan<int> queryTokens, ReadOnlySpan<int> textTokens = default)
    {
        ArgumentNullException.ThrowIfNull(modelVersion);
        // scheme, version as UTF-16 code units (injective over any string, unlike a lossy UTF-8 of lone surrogates),
        // rows, tokens, text-encoder tokens: each a 32-bit little-endian count followed by its elements.
        long length = 4L + KeyScheme.Length + 4L + 2L * modelVersion.Length + 4L + 4L * historyRows.Length + 4L + 4L * queryTokens.Length + 4L + 4L * textTokens.Length;
        byte[]? rented = null;
        Span<byte> buffer = length <= StackKeyBytes
            ? stackalloc byte[StackKeyBytes]
            : rented = ArrayPool<byte>.Shared.Rent(checked((int)length));
        try
        {
            buffer = buffer[..(int)length];
            int at = WriteCount(buffer, 0, KeyScheme.Length);
            KeyScheme.CopyTo(buffer[at..]);
            at += KeyScheme.Length;
            at = WriteCount(buffer, at, modelVersion.Length);
            foreach (char c in modelVersion)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(buffer[at..], c);
                at += 2;
            }

            at = WriteInts(buffer, at, historyRows);
            at = WriteInts(buffer, at, queryTokens);
            WriteInts(buffer, at, textTokens);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer, hash);
            return string.Concat(KeyPrefix, modelVersion, ":", Convert.ToHexStringLower(hash));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int WriteCount(Span<byte> buffer, int at, int count)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], count);
        return at + 4;
    }

    private static int WriteInts(Span<byte> buffer, int at, ReadOnlySpan<int> values)
    {
        at = WriteCount(buffer, at, values.Length);
        foreach (int v in values)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], v);
            at += 4;
        }

        return at;
    }
}
