/** The class of an organism-free tile and the field label for two or more morphotypes, as the synthetic Gram classes name them. */
export const DEFAULT_BACKGROUND_CLASS = 'no_bacteria';
export const DEFAULT_MIXED_CLASS = 'polymicrobial';
