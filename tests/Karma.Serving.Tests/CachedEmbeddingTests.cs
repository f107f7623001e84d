using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Karma.Serving.Model;

namespace Karma.Serving.Tests;

/// <summary>The stored form of a cached embedding and the checks a lookup applies to it.</summary>
public sealed class CachedEmbeddingTests
{
    private const int D = 64;
    private const string Key = "karma:emb:v:0123";
    private static readonly byte[] HmacKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] NoKey = [];

    internal static float[] UnitVector(int seed, int dimensions = D)
    {
        var random = new Random(seed);
        var v = Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static CachedEmbeddingStatus Decode(byte[] value, byte[] hmacKey, string key = Key)
        => CachedEmbedding.Decode(key, value, D, hmacKey, out _);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encode_ThenDecode_ReturnsTheSameValues(bool tagged)
    {
        float[] v = UnitVector(1);
        byte[] key = tagged ? HmacKey : NoKey;
        byte[] stored = CachedEmbedding.Encode(Key, v, key);
        Assert.Equal(CachedEmbedding.Length(D, tagged), stored.Length);
        Assert.Equal(CachedEmbeddingStatus.Valid, CachedEmbedding.Decode(Key, stored, D, key, out float[]? back));
        Assert.Equal(v, back);
    }

    [Fact]
    public void NonFiniteValues_AreInvalid()
    {
        float[] v = UnitVector(2);
        v[17] = float.NaN;
        Assert.Equal(CachedEmbeddingStatus.NotFinite, Decode(CachedEmbedding.Encode(Key, v, NoKey), NoKey));
        v[17] = float.PositiveInfinity;
        Assert.Equal(CachedEmbeddingStatus.NotFinite, Decode(CachedEmbedding.Encode(Key, v, NoKey), NoKey));
        v[17] = float.NegativeInfinity;
        Assert.Equal(CachedEmbeddingStatus.NotFinite, Decode(CachedEmbedding.Encode(Key, v, NoKey), NoKey));
        Assert.Equal(CachedEmbeddingStatus.NotFinite, Decode(CachedEmbedding.Encode(Key, Enumerable.Repeat(float.NaN, D).ToArray(), NoKey), NoKey));
    }

    [Theory]
    [InlineData(5.0f)]
    [InlineData(0.0f)]
    [InlineData(1.01f)]
    [InlineData(0.99f)]
    [InlineData(-1.5f)]
    public void VectorsNotOfUnitNorm_AreInvalid(float scale)
    {
        float[] v = UnitVector(3).Select(x => x * scale).ToArray();
        Assert.Equal(CachedEmbeddingStatus.Norm, Decode(CachedEmbedding.Encode(Key, v, NoKey), NoKey));
    }

    [Fact]
    public void NormWithinTheTolerance_IsValid()
    {
        float[] v = UnitVector(4).Select(x => x * 1.0005f).ToArray();
        Assert.Equal(CachedEmbeddingStatus.Valid, Decode(CachedEmbedding.Encode(Key, v, NoKey), NoKey));
    }

    [Fact]
    public void WrongLengthsAndHeaders_AreInvalid()
    {
        byte[] good = CachedEmbedding.Encode(Key, UnitVector(5), NoKey);
        Assert.Equal(CachedEmbeddingStatus.Length, Decode([], NoKey));
        Assert.Equal(CachedEmbeddingStatus.Length, Decode(good[..7], NoKey));
        Assert.Equal(CachedEmbeddingStatus.Length, Decode(good[..^1], NoKey));
        Assert.Equal(CachedEmbeddingStatus.Length, Decode([.. good, 0], NoKey));
        // The value format before issue 12 (D raw floats, no header) and vectors of another width.
        byte[] legacy = MemoryMarshal.AsBytes(UnitVector(5).AsSpan()).ToArray();
        Assert.Equal(CachedEmbeddingStatus.Header, Decode(legacy, NoKey));
        Assert.Equal(CachedEmbeddingStatus.Dimension, Decode(CachedEmbedding.Encode(Key, UnitVector(5, D - 1), NoKey), NoKey));
        Assert.Equal(CachedEmbeddingStatus.Dimension, Decode(CachedEmbedding.Encode(Key, UnitVector(5, D + 1), NoKey), NoKey));
        for (int at = 0; at < 4; at++)
        {
            byte[] bad = (byte[])good.Clone();
            bad[at] ^= 0x80;
            Assert.Equal(CachedEmbeddingStatus.Header, Decode(bad, NoKey));
        }

        byte[] wrongDimension = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(wrongDimension.AsSpan(4), D + 1);
        Assert.Equal(CachedEmbeddingStatus.Dimension, Decode(wrongDimension, NoKey));
        // A tag flag on a value without a tag: its length gives it away.
        byte[] flagged = (byte[])good.Clone();
        flagged[3] = 1;
        Assert.Equal(CachedEmbeddingStatus.Length, Decode(flagged, NoKey));
    }

    [Fact]
    public void WithAKey_OnlyValuesTaggedForTheirOwnKeyAreValid()
    {
        float[] v = UnitVector(6);
        byte[] tagged = CachedEmbedding.Encode(Key, v, HmacKey);
        Assert.Equal(CachedEmbeddingStatus.Valid, Decode(tagged, HmacKey));
        // Untagged, tagged with another secret, copied to another key, one bit of a value changed, tag truncated.
        Assert.Equal(CachedEmbeddingStatus.Tag, Decode(CachedEmbedding.Encode(Key, v, NoKey), HmacKey));
        Assert.Equal(CachedEmbeddingStatus.Tag, Decode(CachedEmbedding.Encode(Key, v, [.. HmacKey.Reverse()]), HmacKey));
        Assert.Equal(CachedEmbeddingStatus.Tag, Decode(tagged, HmacKey, Key + "0"));
        byte[] flipped = (byte[])tagged.Clone();
        flipped[CachedEmbedding.HeaderBytes + 3] ^= 1;
        Assert.Equal(CachedEmbeddingStatus.Tag, Decode(flipped, HmacKey));
        Assert.Equal(CachedEmbeddingStatus.Length, Decode(tagged[..^1], HmacKey));
        // Without a key the tag cannot be checked; the values still are.
        Assert.Equal(CachedEmbeddingStatus.Valid, Decode(tagged, NoKey));
    }

    [Fact]
    public void RandomBytes_NeverThrow_AndAreNeverValid()
    {
        var random = new Random(12);
        byte[] good = CachedEmbedding.Encode(Key, UnitVector(7), NoKey);
        for (int n = 0; n < 5000; n++)
        {
            byte[] value = new byte[random.Next(2) == 0 ? good.Length : random.Next(0, 400)];
            random.NextBytes(value);
            if (n % 2 == 0 && value.Length >= CachedEmbedding.HeaderBytes)
            {
                good.AsSpan(0, CachedEmbedding.HeaderBytes).CopyTo(value); // a valid header over random values
            }

            Assert.NotEqual(CachedEmbeddingStatus.Valid, Decode(value, NoKey));
            Assert.NotEqual(CachedEmbeddingStatus.Valid, Decode(value, HmacKey));
        }
    }
}
