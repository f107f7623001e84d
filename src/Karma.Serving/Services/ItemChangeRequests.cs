using Grpc.Core;
using Karma.Core.Data;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Items;

namespace Karma.Serving.Services;

/// <summary>Reads UpsertItems and RemoveItems requests into item-log changes, refusing bad input with INVALID_ARGUMENT naming the item and field.</summary>
internal static class ItemChangeRequests
{
    /// <summary>An upsert of the request's items; every problem of every item is named (up to a few dozen), nothing is partly accepted.</summary>
    public static ItemChange Upsert(UpsertItemsRequest request, int maxItems)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(request.Items.Count, maxItems, "items");
        var problems = new List<string>();
        var items = new List<Item>(request.Items.Count);
        for (int i = 0; i < request.Items.Count; i++)
        {
            var n = request.Items[i];
            string at = $"items[{i}]";
            Required(n.ItemId, $"{at}.item_id", problems);
            Required(n.Title, $"{at}.title", problems);
            Required(n.Category, $"{at}.category", problems);
            Length(n.Description, $"{at}.description", problems);
            Length(n.Brand, $"{at}.brand", problems);
            if (n.HasPrice && (!double.IsFinite(n.Price) || n.Price < 0))
            {
                problems.Add($"{at}.price is {n.Price}; a price is a non-negative number");
            }

            int bad = n.ImageEmbedding.ToList().FindIndex(x => !float.IsFinite(x));
            if (bad >= 0)
            {
                problems.Add($"{at}.image_embedding[{bad}] is {n.ImageEmbedding[bad]}; image features are finite numbers");
            }

            items.Add(new Item(n.ItemId, n.Title, Optional(n.Description), n.Category, Optional(n.Brand), n.HasPrice ? n.Price : null,
                n.ImageEmbedding.Count > 0 ? [.. n.ImageEmbedding] : null));
        }

        Refuse(problems);
        return ItemChange.Upsert(items);
    }

    /// <summary>A removal of the request's ids.</summary>
    public static ItemChange Remove(RemoveItemsRequest request, int maxItems)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(request.ItemIds.Count, maxItems, "item_ids");
        var problems = new List<string>();
        for (int i = 0; i < request.ItemIds.Count; i++)
        {
            Required(request.ItemIds[i], $"item_ids[{i}]", problems);
        }

        Refuse(problems);
        return ItemChange.Remove([.. request.ItemIds]);
    }

    /// <summary>INVALID_ARGUMENT listing <paramref name="problems"/> (the first 20, then a count), unless there are none.</summary>
    public static void Refuse(IReadOnlyList<string> problems)
    {
        if (problems.Count == 0)
        {
            return;
        }

        string text = string.Join("; ", problems.Take(20)) + (problems.Count > 20 ? $"; and {problems.Count - 20} more" : string.Empty);
        throw new RpcException(new Status(StatusCode.InvalidArgument, $"nothing applied: {text}"));
    }

    private static void Count(int count, int max, string field)
    {
        if (count == 0)
        {
            throw RequestValidation.Invalid($"{field} is empty");
        }

        if (count > max)
        {
            throw RequestValidation.Invalid($"{field} has {count} entries; at most {max} are accepted per call (Karma:MaxItemsPerChange)");
        }
    }

    private static void Required(string value, string field, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{field} is missing");
        }
        else
        {
            Length(value, field, problems);
        }
    }

    private static void Length(string value, string field, List<string> problems)
    {
        if (value.Length > ItemsJsonl.MaxTextLength)
        {
            problems.Add($"{field} is {value.Length} characters long; at most {ItemsJsonl.MaxTextLength} are accepted");
        }
    }

    private static string? Optional(string value) => string.IsNullOrEmpty(value) ? null : value;
}
