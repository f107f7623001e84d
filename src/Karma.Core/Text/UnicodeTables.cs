using System.Globalization;

namespace Karma.Core.Text;

/// <summary>How the pre-tokenizer treats a code point (after normalization).</summary>
internal enum CharClass : byte
{
    /// <summary>Part of a word: letters, marks, digits, private-use and unassigned code points.</summary>
    Word = 0,
    /// <summary>Ends a word and is dropped: spaces and separators (Z*) and control characters (Cc).</summary>
    Separator = 1,
    /// <summary>A word of its own: punctuation (P*) and symbols (S*).</summary>
    Isolated = 2,
    /// <summary>Removed before anything else: format characters (Cf) such as soft hyphen or zero-width space.</summary>
    Removed = 3,
}

/// <summary>
/// Parsed view of the frozen Unicode data in <c>UnicodeTables.g.cs</c> (decompositions, combining
/// classes, compositions, lower case, character classes). Parsed once, on first use.
/// </summary>
internal static partial class UnicodeTables
{
    private const int HangulSBase = 0xAC00;
    private const int HangulLBase = 0x1100;
    private const int HangulVBase = 0x1161;
    private const int HangulTBase = 0x11A7;
    private const int HangulLCount = 19;
    private const int HangulVCount = 21;
    private const int HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount;
    private const int HangulSCount = HangulLCount * HangulNCount;

    private static readonly Data Tables = Data.Parse();

    /// <summary>Full compatibility decomposition of <paramref name="codePoint"/> (Hangul excluded), or false if it has none.</summary>
    public static bool TryGetDecomposition(int codePoint, out ReadOnlySpan<int> decomposition)
    {
        if (codePoint >= 0xA0 && Tables.Decompositions.TryGetValue(codePoint, out var range))
        {
            decomposition = Tables.DecompositionPool.AsSpan(range.Start, range.Length);
            return true;
        }

        decomposition = default;
        return false;
    }

    /// <summary>True for precomposed Hangul syllables, which decompose algorithmically.</summary>
    public static bool IsHangulSyllable(int codePoint) => (uint)(codePoint - HangulSBase) < HangulSCount;

    /// <summary>Writes the jamo of a Hangul syllable; returns how many (2 or 3).</summary>
    public static int DecomposeHangul(int syllable, Span<int> destination)
    {
        int s = syllable - HangulSBase;
        destination[0] = HangulLBase + (s / HangulNCount);
        destination[1] = HangulVBase + (s % HangulNCount / HangulTCount);
        int t = s % HangulTCount;
        if (t == 0)
        {
            return 2;
        }

        destination[2] = HangulTBase + t;
        return 3;
    }

    /// <summary>Canonical combining class (0 for starters).</summary>
    public static int CombiningClass(int codePoint)
    {
        if (codePoint < 0x300)
        {
            return 0;
        }

        if (codePoint < 0x10000)
        {
            return Tables.BmpCombiningClass[codePoint];
        }

        return Tables.AstralCombiningClass.TryGetValue(codePoint, out byte cc) ? cc : 0;
    }

    /// <summary>The primary composite of <paramref name="first"/> and <paramref name="second"/>, or -1.</summary>
    public static int Compose(int first, int second)
    {
        int lIndex = first - HangulLBase;
        if ((uint)lIndex < HangulLCount)
        {
            int vIndex = second - HangulVBase;
            return (uint)vIndex < HangulVCount ? HangulSBase + (((lIndex * HangulVCount) + vIndex) * HangulTCount) : -1;
        }

        int sIndex = first - HangulSBase;
        if ((uint)sIndex < HangulSCount && sIndex % HangulTCount == 0)
        {
            int tIndex = second - HangulTBase;
            return tIndex > 0 && tIndex < HangulTCount ? first + tIndex : -1;
        }

        return Tables.Compositions.TryGetValue(PairKey(first, second), out int composite) ? composite : -1;
    }

    /// <summary>Simple (one-to-one) lowercase mapping.</summary>
    public static int ToLower(int codePoint)
    {
        if (codePoint < 0x80)
        {
            return (uint)(codePoint - 'A') <= 'Z' - 'A' ? codePoint + 32 : codePoint;
        }

        return Tables.Lowercase.TryGetValue(codePoint, out int lower) ? lower : codePoint;
    }

    /// <summary>The pre-tokenizer class of a code point.</summary>
    public static CharClass Classify(int codePoint)
    {
        if (codePoint < 0x10000)
        {
            return (CharClass)Tables.BmpClass[codePoint];
        }

        var ranges = Tables.AstralClassRanges;
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = ranges[mid];
            if (codePoint < r.First)
            {
                hi = mid - 1;
            }
            else if (codePoint > r.Last)
            {
                lo = mid + 1;
            }
            else
            {
                return r.Class;
            }
        }

        return CharClass.Word;
    }

    private static long PairKey(int first, int second) => ((long)first << 21) | (uint)second;

    private readonly record struct ClassRange(int First, int Last, CharClass Class);

    private sealed class Data
    {
        public Dictionary<int, (int Start, int Length)> Decompositions { get; } = new();
        public int[] DecompositionPool { get; private set; } = [];
        public byte[] BmpCombiningClass { get; } = new byte[0x10000];
        public Dictionary<int, byte> AstralCombiningClass { get; } = new();
        public Dictionary<long, int> Compositions { get; } = new();
        public Dictionary<int, int> Lowercase { get; } = new();
        public byte[] BmpClass { get; } = new byte[0x10000];
        public ClassRange[] AstralClassRanges { get; private set; } = [];

        public static Data Parse()
        {
            var data = new Data();
            var pool = new List<int>();
            foreach (var line in Lines(DecompositionData))
            {
                int gt = line.IndexOf('>');
                int cp = Hex(line.AsSpan(0, gt));
                int start = pool.Count;
                foreach (var part in line.Substring(gt + 1).Split(' '))
                {
                    pool.Add(Hex(part));
                }

                data.Decompositions.Add(cp, (start, pool.Count - start));
            }

            data.DecompositionPool = pool.ToArray();

            foreach (var line in Lines(CombiningClassData))
            {
                var (first, last, value) = Range(line);
                byte cc = (byte)int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                for (int cp = first; cp <= last; cp++)
                {
                    if (cp < 0x10000)
                    {
                        data.BmpCombiningClass[cp] = cc;
                    }
                    else
                    {
                        data.AstralCombiningClass[cp] = cc;
                    }
                }
            }

            foreach (var line in Lines(CompositionData))
            {
                int gt = line.IndexOf('>');
                int space = line.IndexOf(' ');
                data.Compositions.Add(PairKey(Hex(line.AsSpan(0, space)), Hex(line.AsSpan(space + 1, gt - space - 1))), Hex(line.AsSpan(gt + 1)));
            }

            foreach (var line in Lines(LowercaseData))
            {
                int gt = line.IndexOf('>');
                data.Lowercase.Add(Hex(line.AsSpan(0, gt)), Hex(line.AsSpan(gt + 1)));
            }

            var astral = new List<ClassRange>();
            foreach (var line in Lines(CharClassData))
            {
                var (first, last, value) = Range(line);
                var cls = value switch
                {
                    "S" => CharClass.Separator,
                    "P" => CharClass.Isolated,
                    "F" => CharClass.Removed,
                    _ => throw new InvalidOperationException($"bad character class line '{line}'"),
                };
                for (int cp = first; cp <= Math.Min(last, 0xFFFF); cp++)
                {
                    data.BmpClass[cp] = (byte)cls;
                }

                if (last >= 0x10000)
                {
                    astral.Add(new ClassRange(Math.Max(first, 0x10000), last, cls));
                }
            }

            data.AstralClassRanges = astral.ToArray();
            return data;
        }

        private static List<string> Lines(string block)
        {
            var lines = new List<string>();
            foreach (var range in block.AsSpan().Split('\n'))
            {
                var line = block.AsSpan()[range].Trim();
                if (!line.IsEmpty)
                {
                    lines.Add(line.ToString());
                }
            }

            return lines;
        }

        private static (int First, int Last, string Value) Range(string line)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            var cps = line.AsSpan(0, colon);
            int dots = cps.IndexOf("..", StringComparison.Ordinal);
            int first = Hex(dots < 0 ? cps : cps[..dots]);
            int last = dots < 0 ? first : Hex(cps[(dots + 2)..]);
            return (first, last, line[(colon + 1)..]);
        }

        private static int Hex(ReadOnlySpan<char> text) =>
            int.Parse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }
}
