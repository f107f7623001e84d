namespace Karma.Search.Tests;

/// <summary>
/// An independent statement of the BM25 formula of Lucene 4.8's BM25Similarity, for checking the index's
/// scores: idf = ln(1 + (N − n + 0.5) / (n + 0.5)) with N the document count, and per matching term
/// idf · (k1 + 1) · tf / (tf + k1 · (1 − b + b · dl / avgdl)) with avgdl = total term count / N.
/// </summary>
internal static class Bm25
{
    public const double K1 = 1.2;
    public const double B = 0.75;

    public static double Idf(int docCount, int docFreq) =>
        Math.Log(1 + ((docCount - docFreq + 0.5) / (docFreq + 0.5)));

    public static double Term(double idf, int tf, double dl, double avgdl) =>
        idf * (K1 + 1) * tf / (tf + (K1 * (1 - B + (B * dl / avgdl))));

    /// <summary>
    /// The document length as Lucene 4.8 stores it: 1/sqrt(length) in one byte (3 mantissa bits, exponent
    /// offset 15, truncating), decoded back to 1/f². Exact for lengths 1, 4, 16, 64; lossy otherwise.
    /// </summary>
    public static double StoredLength(int length) =>
        1.0 / Math.Pow(Byte315ToFloat(FloatToByte315(1f / (float)Math.Sqrt(length))), 2);

    private static byte FloatToByte315(float f)
    {
        int bits = BitConverter.SingleToInt32Bits(f);
        int small = bits >> (24 - 3);
        const int zero = (63 - 15) << 3;
        if (small <= zero)
        {
            return bits <= 0 ? (byte)0 : (byte)1;
        }

        return small >= zero + 0x100 ? (byte)255 : (byte)(small - zero);
    }

    private static float Byte315ToFloat(byte b)
    {
        if (b == 0)
        {
            return 0f;
        }

        int bits = b << (24 - 3);
        bits += (63 - 15) << 24;
        return BitConverter.Int32BitsToSingle(bits);
    }
}
