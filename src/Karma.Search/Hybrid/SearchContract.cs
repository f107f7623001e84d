using Karma.Core.Package;

namespace Karma.Search.Hybrid;

/// <summary>
/// The part of a package manifest that hybrid search reads: the pre-ranker's features, the item-statistics columns
/// and the search defaults. One check shared by the service's loader and <c>karma package verify</c>.
/// </summary>
public static class SearchContract
{
    /// <summary>Adds a message naming each problem to <paramref name="problems"/>; returns the feature set when it parses.</summary>
    public static FeatureSet? Check(ModelManifest manifest, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(problems);
        if (ManifestSearch.Problem(manifest.Search) is { } searchProblem)
        {
            problems.Add(searchProblem);
        }

        if (!manifest.ItemStatistics.SequenceEqual(ItemStatistics.Columns))
        {
            problems.Add($"manifest: item statistics [{string.Join(", ", manifest.ItemStatistics)}], this version computes [{string.Join(", ", ItemStatistics.Columns)}]");
        }

        try
        {
            return FeatureSet.Parse(manifest.PrerankFeatures);
        }
        catch (InvalidDataException e)
        {
            problems.Add("manifest: " + e.Message);
            return null;
        }
    }
}
