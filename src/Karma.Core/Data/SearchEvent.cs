namespace Karma.Core.Data;

/// <summary>What a user did with an item in a search request.</summary>
public enum UserAction
{
    /// <summary>The item was shown.</summary>
    Impression,
    /// <summary>The item was clicked.</summary>
    Click,
    /// <summary>The item was added to the cart.</summary>
    Cart,
    /// <summary>The item was bought.</summary>
    Purchase,
}

/// <summary>One row of <c>events.csv</c>: <c>user_id,item_id,timestamp,action,query,request_id</c>.</summary>
public sealed record SearchEvent(
    string UserId,
    string ItemId,
    long Timestamp,
    UserAction Action,
    string? Query,
    string? RequestId)
{
    /// <summary>Clicks, carts and purchases all count as positive engagement.</summary>
    public bool IsEngagement => Action != UserAction.Impression;
}

/// <summary>Text names of <see cref="UserAction"/> as they appear in files.</summary>
public static class UserActions
{
    /// <summary>Parses the lower-case file spelling; returns false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out UserAction action)
    {
        switch (text)
        {
            case "impression": action = UserAction.Impression; return true;
            case "click": action = UserAction.Click; return true;
            case "cart": action = UserAction.Cart; return true;
            case "purchase": action = UserAction.Purchase; return true;
            default: action = default; return false;
        }
    }

    /// <summary>The file spelling of an action.</summary>
    public static string ToFileName(this UserAction action) => action switch
    {
        UserAction.Impression => "impression",
        UserAction.Click => "click",
        UserAction.Cart => "cart",
        UserAction.Purchase => "purchase",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown action"),
    };
}
