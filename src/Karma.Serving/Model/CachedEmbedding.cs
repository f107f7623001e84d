using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;

namespace Karma.Serving.Model;

/// <summary>What reading a cached value found; anything but <see cref="Valid"/> makes the lookup a miss.</summary>
public enum CachedEmbeddingStatus
{
    /// <summary>Well-formed, authentic when a key is configured, finite and of unit norm.</summary>
    Valid,

    /// <summary>The value's length is not the one its header and the model's dimension call for.</summary>
    Length,

    /// <summary>Unknown magic, format version or flags.</summary>
    Header,

    /// <summary>The header's dimension is not the model's.</summary>
    Dimension,

    /// <summary>An HMAC key is configured and the tag is missing or wrong (forged, or copied from another key).</summary>
    Tag,

    /// <summary>A value is NaN or infinite (or so large that its square overflows).</summary>
    NotFinite,

    /// <summary>The L2 norm is not 1 within <see cref="CachedEmbedding.NormTolerance"/>.</summary>
    Norm,
}

/// <summary>
/// The stored form of a user embedding and its checks. Layout (little-endian): magic <c>'K' 'E'</c>, format version,
/// flags (bit 0: a tag follows), dimension as uint32, the D float32 values, then with bit 0 a 32-byte HMAC-SHA256 over
/// (uint32 length of the cache key's UTF-8 ‖ the key's UTF-8 ‖ everything before the tag). Binding the key into the
/// tag means a valid entry copied to another key fails; replaying an old entry under its own key is harmless, since the
/// key determines the embedding (<see cref="UserEmbeddingCache.Key"/>).
/// </summary>
public static class CachedEmbedding
{
    /// <summary>Bytes before the values.</summary>
    public const int HeaderBytes = 8;

    /// <summary>Bytes of the optional tag.</summary>
    public const int TagBytes = HMACSHA256.HashSizeInBytes;

    /// <summary>The format written; another version in a value makes it invalid (a miss), never misread.</summary>
    public const byte FormatVersion = 1;

    /// <summary>
    /// Largest accepted |‖v‖₂ − 1|. The user tower ends in an L2 normalisation, so its float32 outputs are within about
    /// 1e-6 of unit norm; 1e-3 leaves room for other execution providers and rejects any vector that would rescale
    /// every inner-product score.
    /// </summary>
    public const float NormTolerance = 1e-3f;

    private const byte Magic0 = (byte)'K', Magic1 = (byte)'E';
    private const byte TaggedFlag = 1;
    private const int StackMacBytes = 1024;

    /// <summary>Length of a value of <paramref name="dimensions"/> floats, with or without a tag.</summary>
    public static int Length(int dimensions, bool tagged) => HeaderBytes + dimensions * sizeof(float) + (tagged ? TagBytes : 0);

    /// <summary>The stored form of <paramref name="embedding"/> under <paramref name="key"/>; tagged when <paramref name="hmacKey"/> is not empty.</summary>
    public static byte[] Encode(string key, ReadOnlySpan<float> embedding, ReadOnlySpan<byte> hmacKey)
    {
        ArgumentNullException.ThrowIfNull(key);
        bool tagged = !hmacKey.IsEmpty;
        var value = new byte[Length(embedding.Length, tagged)];
        value[0] = Magic0;
        value[1] = Magic1;
        value[2] = FormatVersion;
        value[3] = tagged ? TaggedFlag : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(4), (uint)embedding.Length);
        for (int i = 0; i < embedding.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(value.AsSpan(HeaderBytes + i * sizeof(float)), embedding[i]);
        }

        if (tagged)
        {
            int payload = value.Length - TagBytes;
            Tag(key, value.AsSpan(0, payload), hmacKey, value.AsSpan(payload));
        }

        return value;
    }

    /// <summary>
    /// Reads a stored value: the header, the tag when <paramref name="hmacKey"/> is set (a value without one is then
    /// invalid; without a key a tag is not checked), then the values (<see cref="Check"/>). Never throws on bad input.
    /// </summary>
    public static CachedEmbeddingStatus Decode(string key, ReadOnlySpan<byte> value, int dimensions, ReadOnlySpan<byte> hmacKey,
        out float[]? embedding)
    {
        ArgumentNullException.ThrowIfNull(key);
        embedding = null;
        if (value.Length < HeaderBytes)
        {
            return CachedEmbeddingStatus.Length;
        }

        if (value[0] != Magic0 || value[1] != Magic1 || value[2] != FormatVersion || (value[3] & ~TaggedFlag) != 0)
        {
            return CachedEmbeddingStatus.Header;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(value[4..]) != (uint)dimensions)
        {
            return CachedEmbeddingStatus.Dimension;
        }

        bool tagged = (value[3] & TaggedFlag) != 0;
        if (value.Length != Length(dimensions, tagged))
        {
            return CachedEmbeddingStatus.Length;
        }

        if (!hmacKey.IsEmpty)
        {
            if (!tagged)
            {
                return CachedEmbeddingStatus.Tag;
            }

            int payload = value.Length - TagBytes;
            Span<byte> expected = stackalloc byte[TagBytes];
            Tag(key, value[..payload], hmacKey, expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, value[payload..]))
            {
                return CachedEmbeddingStatus.Tag;
            }
        }

        var values = new float[dimensions];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(value[(HeaderBytes + i * sizeof(float))..]);
        }

        var status = Check(values);
        embedding = status == CachedEmbeddingStatus.Valid ? values : null;
        return status;
    }

    /// <summary>
    /// Whether an embedding can be served: every value finite and unit L2 norm. One pass: a NaN or an infinity makes the
    /// sum of squares NaN or infinite, so checking the sum covers every element.
    /// </summary>
    public static CachedEmbeddingStatus Check(ReadOnlySpan<float> embedding)
    {
        float squares = TensorPrimitives.SumOfSquares(embedding);
        if (!float.IsFinite(squares))
        {
            return CachedEmbeddingStatus.NotFinite;
        }

        return MathF.Abs(MathF.Sqrt(squares) - 1f) <= NormTolerance ? CachedEmbeddingStatus.Valid : CachedEmbeddingStatus.Norm;
    }

    /// <summary>HMAC-SHA256 over (uint32 length of the key's UTF-8 ‖ the key's UTF-8 ‖ <paramref name="payload"/>).</summary>
    private static void Tag(string key, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> hmacKey, Span<byte> destination)
    {
        int keyBytes = Encoding.UTF8.GetByteCount(key);
        int length = 4 + keyBytes + payload.Length;
        byte[]? rented = null;
        Span<byte> message = length <= StackMacBytes ? stackalloc byte[StackMacBytes] : rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            message = message[..length];
            BinaryPrimitives.WriteInt32LittleEndian(message, keyBytes);
            Encoding.UTF8.GetBytes(key, message[4..]);
            payload.CopyTo(message[(4 + keyBytes)..]);
            HMACSHA256.HashData(hmacKey, message, destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
