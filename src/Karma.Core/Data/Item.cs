namespace Karma.Core.Data;

/// <summary>One catalog item as documented for <c>items.jsonl</c> (docs/model.md, "Data format").</summary>
/// <param name="ItemId">Stable external id.</param>
/// <param name="Title">Title text; the main semantic signal.</param>
/// <param name="Description">Optional longer text.</param>
/// <param name="Category">Category path such as <c>apparel/shoes/running</c>.</param>
/// <param name="Brand">Optional brand.</param>
/// <param name="Price">Optional price; finite and non-negative when present.</param>
/// <param name="ImageEmbedding">Optional image-feature vector; every item of a catalog has the same length.</param>
public sealed record Item(
    string ItemId,
    string Title,
    string? Description,
    string Category,
    string? Brand,
    double? Price,
    float[]? ImageEmbedding);
