using Karma.Core.Text;

namespace Karma.Core.Package;

/// <summary>A package's tokenizer, by the manifest's <see cref="ModelManifest.TokenizerFormat"/>: the one reader the verifier and the service share.</summary>
public static class PackageTokenizer
{
    /// <summary>The formats a package may name.</summary>
    public static IReadOnlyList<string> Formats { get; } = [BpeTokenizer.FormatId, WordPieceTokenizer.FormatId];

    /// <summary>Loads the tokenizer file of the package in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">An unknown format, or a malformed file (the message names it).</exception>
    public static IQueryTokenizer Load(string directory, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string path = Path.Combine(directory, manifest.Tokenizer.File);
        return manifest.TokenizerFormat switch
        {
            BpeTokenizer.FormatId => BpeTokenizer.Load(path),
            WordPieceTokenizer.FormatId => WordPieceTokenizer.Load(path),
            string other => throw new InvalidDataException($"manifest: tokenizer_format '{other}' is not one of {string.Join(", ", Formats)}"),
        };
    }
}
