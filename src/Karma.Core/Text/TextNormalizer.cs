using System.Buffers;
using System.Text;

namespace Karma.Core.Text;

/// <summary>
/// The tokenizer's <c>nfkc-lower</c> normalization and its word splitter (see TOKENIZER.md).
/// </summary>
/// <remarks>
/// Normal form: unpaired surrogates become U+FFFD; format characters (Cf: soft hyphen, zero-width
/// space, BOM, ...) are removed; then NFKC(lower(NFKD(text))) where <c>lower</c> is the simple
/// per-code-point lowercase mapping. Lowercasing between the decomposition and the composition
/// (rather than after NFKC) makes the normalization idempotent: "W" + combining ring becomes "ẘ"
/// in one pass. All data comes from the frozen Unicode tables in <c>UnicodeTables.g.cs</c>, never
/// from the runtime: with InvariantGlobalization (set for this solution) <see cref="string.Normalize()"/>
/// leaves non-ASCII text unchanged, and with ICU its result depends on the host's ICU version.
/// </remarks>
internal static class TextNormalizer
{
    /// <summary>
    /// Normalizes <paramref name="text"/>. The result is either <paramref name="text"/> itself (ASCII
    /// without capitals) or the contents of <paramref name="owner"/>.
    /// </summary>
    public static ReadOnlySpan<char> Normalize(ReadOnlySpan<char> text, out string? owner)
    {
        if (Ascii.IsValid(text))
        {
            // ASCII is NFKC-stable and has no format characters; only capitals change.
            if (!text.ContainsAnyInRange('A', 'Z'))
            {
                owner = null;
                return text;
            }

            owner = string.Create(text.Length, text, static (destination, source) => Ascii.ToLower(source, destination, out _));
            return owner;
        }

        owner = NormalizeNonAscii(text);
        return owner;
    }

    /// <summary>Normalizes <paramref name="text"/> to a new string.</summary>
    public static string Normalize(string text)
    {
        var span = Normalize(text.AsSpan(), out string? owner);
        return owner ?? (span.Length == text.Length ? text : span.ToString());
    }

    private static string NormalizeNonAscii(ReadOnlySpan<char> text)
    {
        int[] buffer = ArrayPool<int>.Shared.Rent(Math.Max(16, text.Length + 8));
        try
        {
            int n = 0;
            Span<int> jamo = stackalloc int[3];
            int i = 0;
            while (i < text.Length)
            {
                // Invalid UTF-16 (an unpaired surrogate) decodes as U+FFFD, one char consumed.
                Rune.DecodeFromUtf16(text[i..], out Rune rune, out int consumed);
                i += consumed;
                int cp = rune.Value;
                if (UnicodeTables.IsHangulSyllable(cp))
                {
                    int count = UnicodeTables.DecomposeHangul(cp, jamo);
                    Append(ref buffer, ref n, jamo[..count]);
                }
                else if (UnicodeTables.TryGetDecomposition(cp, out var decomposition))
                {
                    foreach (int part in decomposition)
                    {
                        AppendLowered(ref buffer, ref n, part);
                    }
                }
                else
                {
                    AppendLowered(ref buffer, ref n, cp);
                }
            }

            var cps = buffer.AsSpan(0, n);
            ReorderCanonically(cps);
            n = Compose(cps);
            return ToUtf16(cps[..n]);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    private static void AppendLowered(ref int[] buffer, ref int n, int cp)
    {
        if (UnicodeTables.Classify(cp) == CharClass.Removed)
        {
            return;
        }

        if (n == buffer.Length)
        {
            Grow(ref buffer, n, 1);
        }

        buffer[n++] = UnicodeTables.ToLower(cp);
    }

    private static void Append(ref int[] buffer, ref int n, ReadOnlySpan<int> cps)
    {
        if (n + cps.Length > buffer.Length)
        {
            Grow(ref buffer, n, cps.Length);
        }

        cps.CopyTo(buffer.AsSpan(n));
        n += cps.Length;
    }

    private static void Grow(ref int[] buffer, int used, int extra)
    {
        int[] bigger = ArrayPool<int>.Shared.Rent(Math.Max(buffer.Length * 2, used + extra));
        buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<int>.Shared.Return(buffer);
        buffer = bigger;
    }

    /// <summary>Stable sort of each run of non-starters by combining class.</summary>
    private static void ReorderCanonically(Span<int> cps)
    {
        for (int k = 1; k < cps.Length; k++)
        {
            int ch = cps[k];
            int cc = UnicodeTables.CombiningClass(ch);
            if (cc == 0)
            {
                continue;
            }

            int j = k;
            while (j > 0 && UnicodeTables.CombiningClass(cps[j - 1]) > cc)
            {
                cps[j] = cps[j - 1];
                j--;
            }

            cps[j] = ch;
        }
    }

    /// <summary>Canonical composition (UAX #15); returns the new length.</summary>
    private static int Compose(Span<int> cps)
    {
        if (cps.Length == 0)
        {
            return 0;
        }

        int starterPos = 0;
        int starter = cps[0];
        int lastClass = UnicodeTables.CombiningClass(starter);
        if (lastClass != 0)
        {
            lastClass = 256; // no starter yet: nothing can compose with it
        }

        int written = 1;
        for (int k = 1; k < cps.Length; k++)
        {
            int ch = cps[k];
            int chClass = UnicodeTables.CombiningClass(ch);
            int composite = UnicodeTables.Compose(starter, ch);
            if (composite >= 0 && (lastClass < chClass || lastClass == 0))
            {
                cps[starterPos] = composite;
                starter = composite;
                continue;
            }

            if (chClass == 0)
            {
                starterPos = written;
                starter = ch;
            }

            lastClass = chClass;
            cps[written++] = ch;
        }

        return written;
    }

    private static string ToUtf16(ReadOnlySpan<int> cps)
    {
        int length = 0;
        foreach (int cp in cps)
        {
            length += cp >= 0x10000 ? 2 : 1;
        }

        var chars = length <= 512 ? stackalloc char[length] : new char[length];
        int pos = 0;
        foreach (int cp in cps)
        {
            pos += new Rune(cp).EncodeToUtf16(chars[pos..]);
        }

        return new string(chars);
    }
}

/// <summary>
/// Splits normalized text into words: separators (Z*, Cc) end a word and are dropped; each
/// punctuation or symbol character (P*, S*) is a word of its own; everything else joins the word.
/// </summary>
internal ref struct WordSplitter
{
    private readonly ReadOnlySpan<char> _text;
    private int _pos;

    public WordSplitter(ReadOnlySpan<char> normalizedText)
    {
        _text = normalizedText;
        _pos = 0;
        Current = default;
    }

    /// <summary>The current word.</summary>
    public ReadOnlySpan<char> Current { get; private set; }

    /// <summary>Advances to the next word.</summary>
    public bool MoveNext()
    {
        while (_pos < _text.Length)
        {
            var cls = Next(out int length);
            if (cls == CharClass.Word)
            {
                int start = _pos;
                _pos += length;
                while (_pos < _text.Length && Next(out length) == CharClass.Word)
                {
                    _pos += length;
                }

                Current = _text[start.._pos];
                return true;
            }

            if (cls == CharClass.Isolated)
            {
                Current = _text.Slice(_pos, length);
                _pos += length;
                return true;
            }

            _pos += length; // separator (or a removed character, which normalized text does not contain)
        }

        Current = default;
        return false;
    }

    private readonly CharClass Next(out int length)
    {
        char c = _text[_pos];
        if (!char.IsSurrogate(c))
        {
            length = 1;
            return UnicodeTables.Classify(c);
        }

        Rune.DecodeFromUtf16(_text[_pos..], out Rune rune, out length);
        return UnicodeTables.Classify(rune.Value);
    }
}
