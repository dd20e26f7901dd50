// German (and any later language) must translate every English key: its type is the
// English messages' shape with every leaf a string.
export type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
