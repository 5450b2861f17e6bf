/** The API version the CLI speaks in its paths (berthd serves /v1.41/ whatever it advertises). */
export const CLI_API_VERSION = '1.41';
