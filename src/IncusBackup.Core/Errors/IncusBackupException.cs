namespace IncusBackup.Errors;

/// <summary>What kind of failure an error is; the PowerShell layer maps it onto an ErrorCategory.</summary>
public enum ErrorKind
{
    NotFound,
    InvalidArgument,
    InvalidData,
    ConnectionError,
    PermissionDenied,
    ResourceUnavailable,
    ResourceExists,
    ReadError,
    WriteError,
    OperationFailed,
    OperationStopped,
}

/// <summary>
/// Every failure the engine reports carries a stable <see cref="ErrorId"/> (see <see cref="ErrorIds"/>) so scripts
/// can branch on it, and an optional hint telling the operator how to fix it.
/// </summary>
public class IncusBackupException : Exception
{
    public IncusBackupException(string errorId, ErrorKind kind, string message, object? target = null, string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }
    public ErrorKind Kind { get; }
    public object? Target { get; }
    public string? RecommendedAction { get; }
}
